/** Whether each dev-stack service answers: the issuer's /healthz, gRPC health of the control plane, the proxy's /readyz. */
import {Health, HealthCheckResponse_ServingStatus} from '../gen/grpc/health/v1/health_pb.js'

export interface ServiceHealth {
  service: string
  endpoint: string
  healthy: boolean
  /** What the probe saw, when not healthy. */
  detail?: string
}

/** Through node:http, not fetch: fetch loads undici (~50 ms of CPU) in a command that asks three questions. */
async function httpOk(url: string, timeoutMs: number): Promise<string | undefined> {
  const {get} = await import('node:http')
  return new Promise((resolve) => {
    const req = get(url, {timeout: timeoutMs}, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        if (body.length < 4096) body += chunk
      })
      res.on('end', () => resolve(res.statusCode! >= 200 && res.statusCode! < 300 ? undefined : `HTTP ${res.statusCode}: ${body.trim().split('\n').slice(0, 3).join(' ')}`))
      res.on('error', (err: Error) => resolve(err.message))
    })
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), {code: 'ETIMEDOUT'})))
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
  })
}

async function grpcServing(endpoint: string, timeoutMs: number): Promise<string | undefined> {
  const grpc = await import('@grpc/grpc-js')
  const {createServiceClient} = await import('../api/grpc-service.js')
  const client = createServiceClient(grpc, Health, {endpoint, credentials: grpc.credentials.createInsecure(), defaultTimeoutMs: timeoutMs})
  try {
    const res = await client.check({service: ''})
    return res.status === HealthCheckResponse_ServingStatus.SERVING ? undefined : HealthCheckResponse_ServingStatus[res.status]
  } catch (err) {
    return (err as {details?: string}).details || (err as Error).message
  } finally {
    client.close()
  }
}

export interface Endpoints {
  issuer: string
  adminEndpoint: string
  proxyEndpoint: string
  metricsEndpoint: string
}

/**
 * Probes the services whose endpoints are given (the Docker stack may run without some). The issuer is probed on
 * 127.0.0.1 (what it listens on), whatever host its URL names.
 */
export async function probeStack(e: Partial<Endpoints>, timeoutMs = 2000): Promise<ServiceHealth[]> {
  const row = (service: string, endpoint: string, detail: string | undefined): ServiceHealth => ({service, endpoint, healthy: detail === undefined, ...(detail ? {detail} : {})})
  const probes: Promise<ServiceHealth>[] = []
  if (e.issuer) {
    const url = new URL(e.issuer)
    probes.push(httpOk(`http://127.0.0.1:${url.port}${url.pathname.replace(/\/$/, '')}/healthz`, timeoutMs).then((d) => row('issuer', e.issuer!, d)))
  }
  if (e.adminEndpoint) probes.push(grpcServing(e.adminEndpoint, timeoutMs).then((d) => row('control plane', e.adminEndpoint!, d)))
  if (e.proxyEndpoint && e.metricsEndpoint) probes.push(httpOk(`http://${e.metricsEndpoint}/readyz`, timeoutMs).then((d) => row('proxy', e.proxyEndpoint!, d)))
  // A CLI waiting only on these probes must not exit under them (seen: dev up --json ending with status 0 and no
  // output); the unary calls hold the process themselves, but not the loading and connecting before them.
  const hold = setTimeout(() => {}, timeoutMs + 1000)
  return Promise.all(probes).finally(() => clearTimeout(hold))
}
