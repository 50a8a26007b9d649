/**
 * A real control plane for end-to-end tests: `node bin/run.js admin serve --listen 127.0.0.1:0` with a SQLite store
 * in a temporary directory. Resolves once it prints its address; stop() sends SIGTERM and waits for the exit.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {rmSync} from 'node:fs'
import {join} from 'node:path'

import {BIN, childEnv, ROOT, tempDir} from './cli.js'

export interface AdminServer {
  /** 127.0.0.1:PORT */
  endpoint: string
  /** Everything the server wrote to stderr so far (for failure messages). */
  logs(): string
  stop(): Promise<void>
}

export interface AdminServerOptions {
  /** Defaults to --auth none. */
  args?: string[]
  /** --store URL; a SQLite file in a temporary directory by default. */
  store?: string
  env?: Record<string, string | undefined>
  startTimeoutMs?: number
}

const LISTENING = /control plane listening on (\S+:\d+)/

export async function startAdminServer(options: AdminServerOptions = {}): Promise<AdminServer> {
  const dir = tempDir('prismctl-admin-')
  const args = options.args ?? ['--auth', 'none']
  const child: ChildProcess = spawn(process.execPath, [BIN, 'admin', 'serve', '--listen', '127.0.0.1:0', '--store', options.store ?? `sqlite://${join(dir, 'cp.db')}`, ...args], {
    cwd: ROOT,
    env: childEnv({configDir: dir, env: options.env}),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))

  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`admin serve did not start within ${options.startTimeoutMs ?? 15_000} ms:\n${stdout}${stderr}`))
    }, options.startTimeoutMs ?? 15_000)
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      const match = LISTENING.exec(stdout)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`admin serve exited with ${code} before listening:\n${stdout}${stderr}`))
    })
  })

  return {
    endpoint,
    logs: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
        await exited
        clearTimeout(timer)
      }
      rmSync(dir, {recursive: true, force: true})
    },
  }
}
