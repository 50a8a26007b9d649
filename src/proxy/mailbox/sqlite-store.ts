/**
 * A SQLite backend's mailbox: one table in the backend's database file (WAL, so queries read while ingest writes),
 * time in epoch milliseconds, the indexes of RFC-037 led by the mailbox. better-sqlite3 is synchronous and each
 * write is one transaction, so a batch is stored whole or not at all. Several proxies on one machine may share the
 * file; proxies on other machines cannot: bind PostgreSQL for those.
 */
import {mkdirSync} from 'node:fs'
import {dirname} from 'node:path'

import type BetterSqlite3 from 'better-sqlite3'

import {PrismError} from '../../errors.js'
import {columnsSql, filterSql, storedEventOf, type SqlRow} from './sql.js'
import type {MailboxEvent, MailboxKey, MailboxQuery, MailboxStore, QueryResult, StoredEvent} from './store.js'

type Row = SqlRow<number, string>

const SCHEMA = `
CREATE TABLE IF NOT EXISTS prism_mailbox (namespace TEXT NOT NULL, mailbox TEXT NOT NULL, message_id TEXT NOT NULL,
  ts INTEGER NOT NULL, topic TEXT NOT NULL, content_type TEXT NOT NULL, schema_id TEXT NOT NULL, encryption TEXT NOT NULL,
  correlation_id TEXT NOT NULL, principal TEXT NOT NULL, custom_headers TEXT NOT NULL, body BLOB NOT NULL,
  PRIMARY KEY (namespace, mailbox, message_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS prism_mailbox_time ON prism_mailbox (namespace, mailbox, ts, message_id);
CREATE INDEX IF NOT EXISTS prism_mailbox_topic ON prism_mailbox (namespace, mailbox, topic, ts);
CREATE INDEX IF NOT EXISTS prism_mailbox_principal ON prism_mailbox (namespace, mailbox, principal, ts);
CREATE INDEX IF NOT EXISTS prism_mailbox_correlation ON prism_mailbox (namespace, mailbox, correlation_id) WHERE correlation_id <> '';`

const fromRow = (row: Row): StoredEvent => storedEventOf({...row, ts: new Date(row.ts), custom_headers: JSON.parse(row.custom_headers) as Record<string, string>})

export interface SqliteMailboxStore extends MailboxStore {
  close(): void
}

export async function openSqliteMailboxStore(path: string, backendName: string): Promise<SqliteMailboxStore> {
  let db: BetterSqlite3.Database
  try {
    const Driver = (await import('better-sqlite3')).default
    if (path !== ':memory:') mkdirSync(dirname(path), {recursive: true})
    db = new Driver(path)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('busy_timeout = 5000')
    db.exec(SCHEMA)
  } catch (err) {
    throw new PrismError(`backend ${backendName}: cannot open the SQLite database ${path}: ${(err as Error).message}`, {
      code: 'UNAVAILABLE',
      hint: 'Check sqlite.path of the backend: the proxy must be able to create and write that file.',
      cause: err,
    })
  }
  const insert = db.prepare(
    `INSERT INTO prism_mailbox (namespace, mailbox, message_id, ts, topic, content_type, schema_id, encryption, correlation_id, principal, custom_headers, body)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  )
  const writeAll = db.transaction((box: MailboxKey, events: MailboxEvent[]) => {
    let added = 0
    for (const e of events) {
      added += insert.run(box.namespace, box.pattern, e.messageId, e.timestamp.getTime(), e.topic, e.contentType, e.schemaId, e.encryption, e.correlationId, e.principal, JSON.stringify(e.customHeaders), Buffer.from(e.body)).changes
    }
    return added
  })
  const getOne = db.prepare(`SELECT ${columnsSql(true, 'length')} FROM prism_mailbox WHERE namespace = ? AND mailbox = ? AND message_id = ?`)
  const pruneBefore = db.prepare('DELETE FROM prism_mailbox WHERE namespace = ? AND mailbox = ? AND ts < ?')

  return {
    async write(box, events) {
      try {
        return writeAll(box, events)
      } catch (err) {
        // Refused data (see MailboxStore.write): the same rows would fail every time.
        if (/^SQLITE_(CONSTRAINT|TOOBIG|MISMATCH)/.test((err as {code?: string}).code ?? '')) throw new PrismError(`backend ${backendName} (SQLite) refused the data: ${(err as Error).message}`, {code: 'INVALID_ARGUMENT', cause: err})
        throw err
      }
    },
    async query(box: MailboxKey, q: MailboxQuery): Promise<QueryResult> {
      const values: unknown[] = []
      const where = filterSql(box, q, (v) => (values.push(v), '?'), (d) => d.getTime())
      const rows = db.prepare(`SELECT ${columnsSql(false, 'length')} FROM prism_mailbox ${where}`).all(...values) as Row[]
      return {events: rows.slice(0, q.limit).map(fromRow), hasMore: rows.length > q.limit}
    },
    async bodies(box, messageIds) {
      if (messageIds.length === 0) return new Map()
      const rows = db.prepare(`SELECT message_id, body FROM prism_mailbox WHERE namespace = ? AND mailbox = ? AND message_id IN (${messageIds.map(() => '?').join(', ')})`).all(box.namespace, box.pattern, ...messageIds) as {message_id: string; body: Buffer}[]
      return new Map(rows.map((r) => [r.message_id, new Uint8Array(r.body)]))
    },
    async get(box, messageId) {
      const row = getOne.get(box.namespace, box.pattern, messageId) as Row | undefined
      return row && fromRow(row)
    },
    async prune(box, before) {
      return pruneBefore.run(box.namespace, box.pattern, before.getTime()).changes
    },
    close() {
      db.close()
    },
  }
}
