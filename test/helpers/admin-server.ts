/**
 * A real control plane for end-to-end tests and benchmarks: `node bin/run.js admin serve --listen 127.0.0.1:0`,
 * by default with a SQLite store in a temporary directory. Resolves once it prints its address.
 */
import {rmSync} from 'node:fs'
import {join} from 'node:path'

import {tempDir} from './cli.js'
import {spawnServer, type Exit, type ServerProcess} from './server-process.js'

export type {Exit}

export interface AdminServer extends ServerProcess {
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
  /** --listen; a free port by default. */
  listen?: string
  onStderr?: (stderr: string) => void
}

export async function startAdminServer(options: AdminServerOptions = {}): Promise<AdminServer> {
  const dir = options.configDir ?? tempDir('prismctl-admin-')
  const store = options.store === null ? [] : ['--store', options.store ?? `sqlite://${join(dir, 'cp.db')}`]
  const server = await spawnServer({
    args: ['admin', 'serve', '--listen', options.listen ?? '127.0.0.1:0', ...store, ...(options.args ?? ['--auth', 'none'])],
    // On stdout, or on stderr under --json.
    listening: /control plane listening on (\S+:\d+)/,
    configDir: dir,
    env: options.env,
    startTimeoutMs: options.startTimeoutMs,
    onStderr: options.onStderr,
  })
  return {
    ...server,
    async stop() {
      const exit = await server.stop()
      if (!options.configDir) rmSync(dir, {recursive: true, force: true})
      return exit
    },
  }
}
