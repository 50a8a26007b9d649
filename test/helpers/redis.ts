/**
 * A real redis-server (Debian's redis-server) on a free 127.0.0.1 port, without persistence, in a temp dir;
 * kill()/restart() simulate a crash (the data is gone afterwards, as with --save '').
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {freePort} from './ports.js'
import {findBinary, type ServerProcess, serverProcess} from './server-process.js'

export interface TestRedis extends ServerProcess {
  /** host:port */
  address: string
  stop(): Promise<void>
}

export async function startRedis(options: {password?: string} = {}): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'prism-redis-'))
  const port = await freePort()
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]
  if (options.password) args.push('--requirepass', options.password)
  const server = serverProcess('redis-server', findBinary('redis-server'), args, port, dir)
  try {
    await server.start()
  } catch (err) {
    rmSync(dir, {recursive: true, force: true})
    throw err
  }
  return {
    ...server,
    address: `127.0.0.1:${port}`,
    async stop() {
      await server.kill()
      rmSync(dir, {recursive: true, force: true})
    },
  }
}
