/** A real data proxy for end-to-end tests and benchmarks: `node bin/run.js proxy serve` on free ports. */
import {rmSync} from 'node:fs'

import {tempDir} from './cli.js'
import {spawnServer, type Exit, type ServerProcess} from './server-process.js'

export interface ProxyServer extends ServerProcess {
  /** 127.0.0.1:PORT of /metrics, /healthz and /readyz. */
  metrics: string
  stop(): Promise<Exit>
}

export interface ProxyServerOptions {
  adminEndpoint: string
  /** Defaults to --auth none. */
  args?: string[]
  configDir?: string
  env?: Record<string, string | undefined>
  /** --listen; a free port by default. */
  listen?: string
}

export async function startProxyServer(options: ProxyServerOptions): Promise<ProxyServer> {
  const dir = options.configDir ?? tempDir('prismctl-proxy-')
  const server = await spawnServer({
    args: ['proxy', 'serve', '--admin-endpoint', options.adminEndpoint, '--listen', options.listen ?? '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0', ...(options.args ?? ['--auth', 'none'])],
    listening: /proxy listening on (\S+:\d+)/,
    configDir: dir,
    env: options.env,
  })
  // The metrics line follows the listening line.
  const deadline = Date.now() + 5000
  let metrics: string | undefined
  while (!(metrics = /metrics on http:\/\/(\S+:\d+)\/metrics/.exec(server.logs())?.[1]) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  if (!metrics) throw new Error(`proxy serve did not say where its metrics are:\n${server.logs()}`)
  return {
    ...server,
    metrics,
    async stop() {
      const exit = await server.stop()
      if (!options.configDir) rmSync(dir, {recursive: true, force: true})
      return exit
    },
  }
}

/** Waits until the proxy's /readyz says ready (or gives up after timeoutMs with what it last said). */
export async function waitReady(proxy: ProxyServer, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://${proxy.metrics}/readyz`)
      last = await res.text()
      if (res.ok) return
    } catch (err) {
      last = (err as Error).message
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`proxy not ready after ${timeoutMs} ms: ${last}\n${proxy.logs()}`)
}
