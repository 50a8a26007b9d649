/**
 * A real nats-server (Debian's nats-server) with JetStream, on a free 127.0.0.1 port, its store in a temp
 * dir that survives kill/restart (so durable consumers and streams do), deleted by stop().
 */
import {freePort} from './ports.js'
import {startInTempDir, type ServerProcess} from './binary-server.js'

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
  const port = await freePort()
  const server = await startInTempDir('nats-server', port, (dir) => [
    ...['-a', '127.0.0.1', '-p', String(port), ...(options.jetstream === false ? [] : ['-js', '-sd', dir])],
    ...(options.auth ? ['--user', options.auth.user, '--pass', options.auth.password] : []),
  ])
  return {...server, url: `nats://127.0.0.1:${port}`}
}
