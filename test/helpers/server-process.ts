/**
 * One of our servers (`admin serve`, `proxy serve`) as a child process of the built CLI, for end-to-end tests and
 * benchmarks: started on the given arguments, resolved once it prints the address it listens on.
 */
import {spawn, type ChildProcess} from 'node:child_process'

import {BIN, childEnv, ROOT} from './cli.js'

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface ServerProcess {
  /** 127.0.0.1:PORT */
  endpoint: string
  /** For tests that signal the process themselves (kill -9, SIGINT). */
  child: ChildProcess
  exited: Promise<Exit>
  stdout(): string
  /** Everything the server wrote to stderr so far (for failure messages). */
  logs(): string
  /** SIGTERM (SIGKILL after 10 s), then the exit. */
  stop(): Promise<Exit>
}

export interface SpawnOptions {
  args: string[]
  /** Matches the listening line (stdout, or stderr under --json); group 1 is host:port. */
  listening: RegExp
  configDir: string
  env?: Record<string, string | undefined>
  startTimeoutMs?: number
  /** Called with everything the server wrote to stderr so far, whenever it writes more (also before it listens). */
  onStderr?: (stderr: string) => void
}

export async function spawnServer(options: SpawnOptions): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...options.args], {
    cwd: ROOT,
    env: childEnv({configDir: options.configDir, env: options.env}),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({code, signal})))
  const startTimeoutMs = options.startTimeoutMs ?? 15_000
  const name = options.args.slice(0, 2).join(' ')

  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${name} did not start within ${startTimeoutMs} ms:\n${stdout}${stderr}`))
    }, startTimeoutMs)
    const seen = () => {
      const match = options.listening.exec(stdout + stderr)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    }
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      seen()
    })
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
      options.onStderr?.(stderr)
      seen()
    })
    void exited.then(({code}) => {
      clearTimeout(timer)
      reject(new Error(`${name} exited with ${code} before listening:\n${stdout}${stderr}`))
    })
  })

  return {
    endpoint,
    child,
    exited,
    stdout: () => stdout,
    logs: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
        await exited
        clearTimeout(timer)
      }
      return exited
    },
  }
}
