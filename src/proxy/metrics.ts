/**
 * The proxy's metrics port: Prometheus text on /metrics, /healthz (the process is alive) and /readyz (synchronised
 * with the control plane at least once, and every bound backend answers).
 */
import {createServer, type Server} from 'node:http'

import {listenError, splitListen} from '../api/listen.js'
import type {BackendStatus} from './backends.js'
import type {SyncState} from './follower.js'

export interface ProxyMetrics {
  /** One finished call. */
  observe(namespace: string, pattern: string, method: string, code: string, seconds: number): void
  setSync(state: SyncState): void
  setNamespaces(count: number): void
  setBackends(states: BackendStatus[]): void
  render(): Promise<{contentType: string; body: string}>
}

const SYNC_STATES: SyncState[] = ['connecting', 'synced', 'disconnected']
const BACKEND_STATES = ['connecting', 'connected', 'down'] as const

export async function createMetrics(): Promise<ProxyMetrics> {
  const client = await import('prom-client')
  const registry = new client.Registry()
  client.collectDefaultMetrics({register: registry, prefix: 'prism_proxy_'})
  const requests = new client.Counter({name: 'prism_proxy_requests_total', help: 'Data calls by namespace, pattern API, method and gRPC code', labelNames: ['namespace', 'pattern', 'method', 'code'], registers: [registry]})
  const latency = new client.Histogram({
    name: 'prism_proxy_request_duration_seconds',
    help: 'Data call latency (for streams: until the stream ends)',
    labelNames: ['pattern', 'method'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  })
  const sync = new client.Gauge({name: 'prism_proxy_watch_sync_state', help: '1 for the current state of the control-plane watch', labelNames: ['state'], registers: [registry]})
  const namespaces = new client.Gauge({name: 'prism_proxy_namespaces', help: 'Namespaces in the routing table', registers: [registry]})
  const backends = new client.Gauge({
    name: 'prism_proxy_backend_state',
    help: "1 for the current state of each connection to a bound backend; binding_credentials is the Vault path of a slot binding's own credentials, empty for the backend's",
    labelNames: ['backend', 'binding_credentials', 'state'],
    registers: [registry],
  })
  return {
    observe(namespace, pattern, method, code, seconds) {
      requests.inc({namespace, pattern, method, code})
      latency.observe({pattern, method}, seconds)
    },
    setSync(state) {
      for (const s of SYNC_STATES) sync.set({state: s}, s === state ? 1 : 0)
    },
    setNamespaces: (count) => namespaces.set(count),
    setBackends(states) {
      backends.reset()
      for (const b of states) for (const s of BACKEND_STATES) backends.set({backend: b.name, binding_credentials: b.vaultPath ?? '', state: s}, b.state === s ? 1 : 0)
    },
    async render() {
      return {contentType: registry.contentType, body: await registry.metrics()}
    },
  }
}

export interface Readiness {
  ready: boolean
  reasons: string[]
}

/** Serves the metrics port; `readiness` is asked on every /readyz. */
export async function serveMetrics(listen: string, metrics: ProxyMetrics, readiness: () => Promise<Readiness>): Promise<{server: Server; address: string}> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    const reply = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, {'content-type': type})
      res.end(body)
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed\n')
    if (path === '/healthz') return reply(200, 'ok\n')
    if (path === '/readyz') {
      void readiness().then(
        (r) => reply(r.ready ? 200 : 503, r.ready ? 'ready\n' : `not ready:\n${r.reasons.map((x) => `- ${x}`).join('\n')}\n`),
        (err: Error) => reply(503, `not ready: ${err.message}\n`),
      )
      return
    }
    if (path === '/metrics') {
      void metrics.render().then(
        (m) => reply(200, m.body, m.contentType),
        (err: Error) => reply(500, `${err.message}\n`),
      )
      return
    }
    reply(404, 'not found: try /metrics, /healthz or /readyz\n')
  })
  const [host, port] = splitListen(listen, '--metrics-listen')
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(listenError(listen, '--metrics-listen', err)))
    server.listen(port, host, () => resolve())
  })
  const bound = server.address()
  return {server, address: `${host}:${typeof bound === 'object' && bound ? bound.port : port}`}
}
