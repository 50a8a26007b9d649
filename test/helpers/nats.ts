/**
 * A real nats-server (Debian's nats-server) with JetStream, on a free 127.0.0.1 port, its store in a temp
 * dir that survives kill/restart (so durable consumers and streams do), deleted by stop().
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {freePort} from './ports.js'
import {findBinary, type ServerProcess, serverProcess} from './binary-server.js'

export interface TestNats extends ServerProcess {
  url: string
  stop(): Promise<void>
}

export interface TestNatsOptions {
  /** Without: core NATS only. Default true. */
  jetstream?: boolean
  /** Require this user and password. */
  auth?: {user: string; password: string}
}

export async function startNats(options: TestNatsOptions = {}): Promise<TestNats> {
  const dir = mkdtempSync(join(tmpdir(), 'prism-nats-'))
  const port = await freePort()
  const args = ['-a', '127.0.0.1', '-p', String(port), ...(options.jetstream === false ? [] : ['-js', '-sd', dir])]
  if (options.auth) args.push('--user', options.auth.user, '--pass', options.auth.password)
  const server = serverProcess('nats-server', findBinary('nats-server'), args, port, dir)
  try {
    await server.start()
  } catch (err) {
    rmSync(dir, {recursive: true, force: true})
    throw err
  }
  return {
    ...server,
    url: `nats://127.0.0.1:${port}`,
    async stop() {
      await server.kill()
      rmSync(dir, {recursive: true, force: true})
    },
  }
}
