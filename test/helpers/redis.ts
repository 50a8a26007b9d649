/**
 * A throwaway redis-server (Debian's package) on a free 127.0.0.1 port, without persistence, in a temporary
 * directory; it can be killed and started again on the same port. Without the binary this throws: the Redis cases
 * must fail loudly, never skip.
 */
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {rmSync} from 'node:fs'
import {connect} from 'node:net'

import {tempDir} from './cli.js'
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

const BINARY = process.env.PRISM_TEST_REDIS_SERVER ?? 'redis-server'

async function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => {
      socket.destroy()
      // With --requirepass an unauthenticated PING is refused, which still says the server is up.
      resolve(/^(\+PONG|-NOAUTH)/.test(data.toString()))
    })
    socket.once('error', () => resolve(false))
  })
}

/** `args`: more redis-server options, e.g. ['--requirepass', 'secret']. */
export async function startRedis(args: string[] = []): Promise<TestRedis> {
  if (spawnSync('sh', ['-c', `command -v ${BINARY}`]).status !== 0) {
    throw new Error(`${BINARY} was not found. Install it (Debian: apt-get install redis-server) or set PRISM_TEST_REDIS_SERVER.`)
  }
  const dir = tempDir('prism-redis-')
  const port = await freePort()
  let child: ChildProcess | undefined
  const start = async () => {
    child = spawn(BINARY, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...args], {stdio: 'ignore'})
    const deadline = Date.now() + 10_000
    while (!(await answers(port))) {
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on 127.0.0.1:${port} within 10 s`)
      await new Promise((r) => setTimeout(r, 25))
    }
  }
  const kill = async () => {
    const c = child
    if (!c || c.exitCode !== null || c.signalCode !== null) return
    const exited = new Promise((r) => c.once('exit', r))
    c.kill('SIGKILL')
    await exited
  }
  await start()
  return {
    port,
    address: `127.0.0.1:${port}`,
    kill,
    start,
    async stop() {
      await kill()
      rmSync(dir, {recursive: true, force: true})
    },
  }
}
