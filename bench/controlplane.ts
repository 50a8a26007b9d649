/**
 * Control plane latency and throughput over loopback, against a real `prismctl admin serve` process. The baseline
 * for every latency is the Echo RPC on the same server (same transport, same auth path, no store work).
 */
import {readFileSync} from 'node:fs'

import * as grpc from '@grpc/grpc-js'

import {createServiceClient, type ServiceClient} from '../src/api/grpc-service.js'
import {ControlPlane} from '../src/gen/prism/admin/v1/control_plane_pb.js'
import {startAdminServer, type AdminServer} from '../test/helpers/admin-server.js'
import {makeTestPki} from '../test/helpers/pki.js'
import {fmtMs, median, percentile, ratio, type Row} from './lib.js'

type Client = ServiceClient<(typeof ControlPlane)['method']>

export function connect(endpoint: string, token?: string, credentials = grpc.credentials.createInsecure()): Client {
  return createServiceClient(grpc, ControlPlane, {
    endpoint,
    credentials,
    metadata: (): Record<string, string> => (token ? {authorization: `Bearer ${token}`} : {}),
  })
}

function namespaceSpec(name: string) {
  return {
    name,
    team: 'bench-team',
    description: 'benchmark namespace',
    labels: {env: 'bench'},
    patterns: [{name: 'cache', type: 'keyvalue', requires: [{slot: 'kv-store', target: {case: 'backend' as const, value: 'mem-bench'}}]}],
  }
}

/**
 * Sequential calls (one in flight: the latency a CLI command sees). The calls being compared take turns, so warm-up
 * and machine noise fall on all of them alike.
 */
export async function latencies<K extends string>(calls: Record<K, () => Promise<unknown>>, count: number): Promise<Record<K, number[]>> {
  const entries = Object.entries(calls) as [K, () => Promise<unknown>][]
  for (let i = 0; i < Math.min(300, count); i++) for (const [, call] of entries) await call()
  const samples = Object.fromEntries(entries.map(([k]) => [k, [] as number[]])) as Record<K, number[]>
  for (let i = 0; i < count; i++) {
    for (const [name, call] of entries) {
      const start = performance.now()
      await call()
      samples[name].push(performance.now() - start)
    }
  }
  return samples
}

/** `total` calls with `concurrency` in flight; returns calls/s and per-call latencies. */
export async function throughput(call: (i: number) => Promise<unknown>, total: number, concurrency: number): Promise<{perSec: number; samples: number[]}> {
  let next = 0
  const samples: number[] = []
  const start = performance.now()
  await Promise.all(
    Array.from({length: concurrency}, async () => {
      while (next < total) {
        const i = next++
        const t = performance.now()
        await call(i)
        samples.push(performance.now() - t)
      }
    }),
  )
  return {perSec: (total * 1000) / (performance.now() - start), samples}
}

export async function prepare(client: Client): Promise<void> {
  await client.applyBackend({backend: {name: 'mem-bench', type: 7, config: {case: 'memstore', value: {}}, interfaces: ['keyvalue_basic', 'keyvalue_ttl']}})
  await client.applyNamespace({namespace: namespaceSpec('bench-get')})
}

export async function benchStore(label: string, server: AdminServer, opts: {latencyCount: number; creates: number; concurrency: number; createTarget?: string}): Promise<Row[]> {
  const client = connect(server.endpoint)
  try {
    await prepare(client)
    const run = `${Date.now().toString(36)}`
    let seq = 0
    const {echo, get} = await latencies({echo: () => client.echo({message: 'x'}), get: () => client.getNamespace({name: 'bench-get'})}, opts.latencyCount)
    const {create: createSeq} = await latencies({create: () => client.createNamespace({namespace: namespaceSpec(`seq-${run}-${seq++}`)})}, 500)
    const created = await throughput((i) => client.createNamespace({namespace: namespaceSpec(`bench-${run}-${i}`)}), opts.creates, opts.concurrency)
    const e50 = median(echo)
    return [
      {name: `${label}: Echo p50 / p99 (${echo.length} sequential calls, interleaved with Get)`, value: `${fmtMs(e50)} / ${fmtMs(percentile(echo, 99))}`, baseline: 'itself', ratio: '1.00×'},
      {name: `${label}: GetNamespace p50 / p99`, value: `${fmtMs(median(get))} / ${fmtMs(percentile(get, 99))}`, baseline: `Echo p50 ${fmtMs(e50)}`, ratio: ratio(median(get), e50), target: '≤ 1.5×'},
      {name: `${label}: CreateNamespace p50 / p99, sequential`, value: `${fmtMs(median(createSeq))} / ${fmtMs(percentile(createSeq, 99))}`, baseline: `Echo p50 ${fmtMs(e50)}`, ratio: ratio(median(createSeq), e50)},
      {
        name: `${label}: CreateNamespace throughput (${opts.creates} creates, ${opts.concurrency} in flight; p50 / p99 ${fmtMs(median(created.samples))} / ${fmtMs(percentile(created.samples, 99))})`,
        value: `${created.perSec.toFixed(0)}/s`,
        baseline: `Echo ${(1000 / e50).toFixed(0)}/s sequential`,
        ratio: '',
        target: opts.createTarget,
      },
    ]
  } finally {
    client.close()
  }
}

export async function withServer<T>(args: string[] | undefined, store: string | undefined, fn: (server: AdminServer) => Promise<T>): Promise<T> {
  const server = await startAdminServer({args, store})
  try {
    return await fn(server)
  } finally {
    await server.stop()
  }
}

/**
 * GetNamespace over TLS next to plaintext: two servers on SQLite, identical but for --tls-cert, called in turns
 * (one connection each, kept open, as a CLI command or a proxy holds it; the handshake is not in the figure).
 */
export async function benchTls(count: number): Promise<Row[]> {
  const pki = makeTestPki()
  try {
    return await withServer(['--auth', 'none'], undefined, (plainServer) =>
      withServer(['--auth', 'none', '--tls-cert', pki.serverCert, '--tls-key', pki.serverKey], undefined, async (tlsServer) => {
        const plain = connect(plainServer.endpoint)
        const tls = connect(tlsServer.endpoint, undefined, grpc.credentials.createSsl(readFileSync(pki.caFile)))
        try {
          await Promise.all([prepare(plain), prepare(tls)])
          const {plaintext, overTls} = await latencies({plaintext: () => plain.getNamespace({name: 'bench-get'}), overTls: () => tls.getNamespace({name: 'bench-get'})}, count)
          const p50 = median(plaintext)
          return [
            {name: `SQLite: GetNamespace p50 / p99, plaintext (${count} sequential calls, interleaved with TLS)`, value: `${fmtMs(p50)} / ${fmtMs(percentile(plaintext, 99))}`, baseline: 'itself', ratio: '1.00×'},
            {name: 'SQLite: GetNamespace p50 / p99 over TLS (ECDSA P-256, TLS 1.3)', value: `${fmtMs(median(overTls))} / ${fmtMs(percentile(overTls, 99))}`, baseline: `plaintext p50 ${fmtMs(p50)}`, ratio: ratio(median(overTls), p50), target: '≤ 1.2×'},
          ]
        } finally {
          plain.close()
          tls.close()
        }
      }),
    )
  } finally {
    pki.remove()
  }
}
