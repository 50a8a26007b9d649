/**
 * A real control plane for end-to-end tests and benchmarks: `node bin/run.js admin serve --listen 127.0.0.1:0`,
 * by default with a SQLite store in a temporary directory. Resolves once it prints its address.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {rmSync} from 'node:fs'
import {join} from 'node:path'

import {BIN, childEnv, ROOT, tempDir} from './cli.js'

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface AdminServer {
  /** 127.0.0.1:PORT */
  endpoint: string
  /** For tests that signal the process themselves (kill -9, SIGINT). */
  child: ChildProcess
  exited: Promise<Exit>
  stdout(): string
  /** Everything the server wrote to stderr so far (for failure messages). */
  logs(): string
  /** SIGTERM (SIGKILL after 10 s), then the exit; removes the temporary directory if this helper made it. */
  stop(): Promise<Exit>
}

export interface AdminServerOptions {
  /** Defaults to --auth none. */
  args?: string[]
  /** --store URL; a SQLite file in the config directory by default; null passes no --store (the server's default). */
  store?: string | null
  /** PRISM_CONFIG_DIR of the server; a temporary directory, removed by stop(), by default. */
  configDir?: string
  env?: Record<string, string | undefined>
  startTimeoutMs?: number
}

// On stdout, or on stderr under --json.
const LISTENING = /control plane listening on (\S+:\d+)/

export async function startAdminServer(options: AdminServerOptions = {}): Promise<AdminServer> {
  const dir = options.configDir ?? tempDir('prismctl-admin-')
  const store = options.store === null ? [] : ['--store', options.store ?? `sqlite://${join(dir, 'cp.db')}`]
  const args = options.args ?? ['--auth', 'none']
  const child: ChildProcess = spawn(process.execPath, [BIN, 'admin', 'serve', '--listen', '127.0.0.1:0', ...store, ...args], {
    cwd: ROOT,
    env: childEnv({configDir: dir, env: options.env}),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({code, signal})))
  const startTimeoutMs = options.startTimeoutMs ?? 15_000

  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`admin serve did not start within ${startTimeoutMs} ms:\n${stdout}${stderr}`))
    }, startTimeoutMs)
    const seen = () => {
      const match = LISTENING.exec(stdout + stderr)
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
      seen()
    })
    void exited.then(({code}) => {
      clearTimeout(timer)
      reject(new Error(`admin serve exited with ${code} before listening:\n${stdout}${stderr}`))
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
      if (!options.configDir) rmSync(dir, {recursive: true, force: true})
      return exited
    },
  }
}
