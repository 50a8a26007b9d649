/**
 * SQLite: mailboxes only (the proxy has no SQLite keyvalue driver), in the database file sqlite.path names,
 * relative to the proxy's working directory.
 */
import {resolve} from 'node:path'

import {openSqliteMailboxStore} from '../mailbox/sqlite-store.js'
import {backendConfig} from './backend-config.js'
import type {Connect} from './types.js'

export const connect: Connect = async (backend) => {
  const path = resolve(backendConfig(backend, 'sqlite').path)
  const mailbox = await openSqliteMailboxStore(path, backend.name)
  return {
    mailbox,
    ping: async () => {},
    close: async () => mailbox.close(),
  }
}
