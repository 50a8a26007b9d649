/**
 * A server binary run by a test on a free 127.0.0.1 port: started, waited for until it accepts TCP connections,
 * killed (SIGKILL, like a crash) and started again on the same port with the same data directory.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {connect} from 'node:net'

export interface ServerProcess {
  port: number
  /** Starts it (again); resolves once it accepts connections. */
  start(): Promise<void>
  /** SIGKILL; resolves once the process has exited. */
  kill(): Promise<void>
  restart(): Promise<void>
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** A binary of a Debian package: on PATH, else in the sbin/bin directories Debian uses (nats-server is in /usr/sbin). */
export function findBinary(name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/usr/local/bin']
  const found = dirs.filter(Boolean).map((d) => `${d}/${name}`).find((p) => existsSync(p))
  if (!found) throw new Error(`${name} was not found on PATH, /usr/sbin or /usr/bin; install it (Debian: apt-get install ${name}), .ci/run does`)
  return found
}

export function serverProcess(name: string, command: string, args: string[], port: number, cwd: string): ServerProcess {
  let child: ChildProcess | undefined
  let output = ''
  const self: ServerProcess = {
    port,
    async start() {
      output = ''
      // Otherwise the wait below would take someone else's listener for this server's (which then fails to bind).
      if (await accepts(port)) throw new Error(`${name} cannot start: something else listens on 127.0.0.1:${port} already`)
      const proc = spawn(command, args, {cwd, stdio: ['ignore', 'pipe', 'pipe']})
      child = proc
      proc.stdout!.on('data', (d: Buffer) => (output += d.toString()))
      proc.stderr!.on('data', (d: Buffer) => (output += d.toString()))
      let failed: Error | undefined
      const exited = new Promise<void>((resolve) => {
        proc.once('exit', () => resolve())
        proc.once('error', (err) => {
          failed = err
          resolve()
        })
      })
      for (let i = 0; i < 100 && !failed && proc.exitCode === null; i++) {
        if (await accepts(port)) return
        await new Promise((r) => setTimeout(r, 50))
      }
      proc.kill('SIGKILL')
      await exited
      child = undefined
      throw new Error(`${name} did not start on port ${port}: ${failed?.message ?? output.slice(-2000)}`)
    },
    async kill() {
      const proc = child
      child = undefined
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
      proc.kill('SIGKILL')
      await exited
    },
    async restart() {
      await self.kill()
      await self.start()
    },
  }
  return self
}

export interface TempServer extends ServerProcess {
  /** SIGKILL and delete its directory. */
  stop(): Promise<void>
}

/** Starts a Debian binary on `port` with its working (and data) directory in a new temp dir, deleted by stop(). */
export async function startInTempDir(name: string, port: number, args: (dir: string) => string[]): Promise<TempServer> {
  const dir = mkdtempSync(join(tmpdir(), `prism-${name}-`))
  const server = serverProcess(name, findBinary(name), args(dir), port, dir)
  try {
    await server.start()
  } catch (err) {
    rmSync(dir, {recursive: true, force: true})
    throw err
  }
  return {
    ...server,
    async stop() {
      await server.kill()
      rmSync(dir, {recursive: true, force: true})
    },
  }
}
