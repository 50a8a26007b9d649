/**
 * A throwaway redis-server (Debian's package) on a free 127.0.0.1 port, without persistence, in a temporary
 * directory; kill() and start() simulate a crash and a restart on the same port (the data is gone afterwards, as
 * with --save ''). Without the binary this throws: the Redis cases must fail loudly, never skip.
 */
import {startInTempDir} from './binary-server.js'
import {freePort} from './ports.js'

export interface TestRedis {
  port: number
  /** 127.0.0.1:PORT */
  address: string
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>
  /** Starts it again on the same port. */
  start(): Promise<void>
  stop(): Promise<void>
}

/** `args`: more redis-server options, e.g. ['--requirepass', 'secret']. */
export async function startRedis(args: string[] = []): Promise<TestRedis> {
  const port = await freePort()
  const server = await startInTempDir('redis-server', port, (dir) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...args])
  return {port, address: `127.0.0.1:${port}`, kill: server.kill, start: server.start, stop: server.stop}
}
