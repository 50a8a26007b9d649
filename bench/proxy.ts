/**
 * The data path through a real `prismctl proxy serve` process (following a real control plane), against its own
 * no-op RPC and against the backend called directly with the same client library the proxy uses.
 */
import * as grpc from '@grpc/grpc-js'
import {createClient, RESP_TYPES} from '@redis/client'
import {create} from '@bufbuild/protobuf'

import {createServiceClient} from '../src/api/grpc-service.js'
import {ControlPlane} from '../src/gen/prism/admin/v1/control_plane_pb.js'
import {BackendType, NamespaceSchema} from '../src/gen/prism/admin/v1/resources_pb.js'
import {KeyValuePattern} from '../src/gen/prism/patterns/v1/keyvalue_pb.js'
import {ConsumerPattern, ProducerPattern, StartPosition} from '../src/gen/prism/patterns/v1/messaging_pb.js'
import {ProxyInfo} from '../src/gen/prism/proxy/v1/proxy_pb.js'
import {startAdminServer} from '../test/helpers/admin-server.js'
import {CLIENT_ID, idTokenFor, startTestProvider} from '../test/helpers/oidc-provider.js'
import {startProxyServer, waitReady} from '../test/helpers/proxy-server.js'
import {startNats} from '../test/helpers/nats.js'
import {startRedis} from '../test/helpers/redis.js'
import {latencies, throughput} from './controlplane.js'
import {fmtMs, median, percentile, ratio, type Row} from './lib.js'

const insecure = () => grpc.credentials.createInsecure()

function kvNamespace(name: string, backend: string) {
  return create(NamespaceSchema, {name, team: 'bench-team', patterns: [{name: 'cache', type: 'keyvalue', requires: [{slot: 'kv-store', target: {case: 'backend', value: backend}}]}]})
}

export async function benchProxy(opts: {latencyCount: number; throughputCalls: number; concurrency: number}): Promise<Row[]> {
  const redis = await startRedis()
  const nats = await startNats({jetstream: false})
  const admin = await startAdminServer()
  const proxy = await startProxyServer({adminEndpoint: admin.endpoint})
  const control = createServiceClient(grpc, ControlPlane, {endpoint: admin.endpoint, credentials: insecure()})
  const clientFor = (namespace: string) =>
    createServiceClient(grpc, KeyValuePattern, {endpoint: proxy.endpoint, credentials: insecure(), metadata: () => ({'x-prism-namespace': namespace})})
  const memKv = clientFor('bench-mem')
  const redisKv = clientFor('bench-redis')
  const info = createServiceClient(grpc, ProxyInfo, {endpoint: proxy.endpoint, credentials: insecure()})
  const direct = createClient({socket: {host: '127.0.0.1', port: redis.port}}).withTypeMapping({[RESP_TYPES.BLOB_STRING]: Buffer})
  try {
    await control.applyBackend({backend: {name: 'mem-bench', type: BackendType.MEMSTORE, config: {case: 'memstore', value: {}}}})
    await control.applyBackend({backend: {name: 'redis-bench', type: BackendType.REDIS, config: {case: 'redis', value: {address: redis.address}}}})
    await control.applyNamespace({namespace: kvNamespace('bench-mem', 'mem-bench')})
    await control.applyNamespace({namespace: kvNamespace('bench-redis', 'redis-bench')})
    await control.applyBackend({backend: {name: 'nats-bench', type: BackendType.NATS, config: {case: 'nats', value: {url: nats.url}}}})
    await control.applyNamespace({
      namespace: create(NamespaceSchema, {name: 'bench-nats', team: 'bench-team', patterns: [{name: 'bus', type: 'pubsub', requires: [{slot: 'message-bus', target: {case: 'backend', value: 'nats-bench'}}]}]}),
    })
    await waitReady(proxy)
    await direct.connect()
    const value = Buffer.alloc(100, 'x')
    await memKv.store({key: 'k', value})
    await redisKv.store({key: 'k', value})

    const l = await latencies(
      {
        noop: () => info.noop({}),
        mem: () => memKv.retrieve({key: 'k'}),
        redis: () => redisKv.retrieve({key: 'k'}),
        direct: () => direct.get('k'),
      },
      opts.latencyCount,
    )
    const noop = median(l.noop)
    const directGet = median(l.direct)
    const budget = noop + 1.5 * directGet
    const memTp = await throughput(() => memKv.retrieve({key: 'k'}), opts.throughputCalls, opts.concurrency)
    const redisTp = await throughput(() => redisKv.retrieve({key: 'k'}), opts.throughputCalls, opts.concurrency)
    const directTp = await throughput(() => direct.get('k'), opts.throughputCalls, opts.concurrency)
    const messaging = await publishToConsume(proxy.endpoint, nats.url, Math.min(opts.latencyCount, 1000))
    const p = (s: number[]) => `${fmtMs(median(s))} / ${fmtMs(percentile(s, 99))}`
    return [
      {name: `proxy no-op RPC p50 / p99 (${opts.latencyCount} sequential calls, interleaved)`, value: p(l.noop), baseline: 'itself', ratio: '1.00×'},
      {name: 'direct Redis GET p50 / p99 (@redis/client, same process as the bench)', value: p(l.direct), baseline: 'itself', ratio: '1.00×'},
      {name: 'proxy KV Retrieve on memstore p50 / p99', value: p(l.mem), baseline: `no-op ${fmtMs(noop)}`, ratio: ratio(median(l.mem), noop)},
      {
        name: 'proxy KV Retrieve on Redis p50 / p99',
        value: p(l.redis),
        baseline: `no-op + 1.5 × direct = ${fmtMs(budget)}`,
        ratio: ratio(median(l.redis), budget),
        target: '≤ 1.00× (p50 ≤ no-op p50 + 1.5 × direct GET p50)',
      },
      {name: `proxy KV Retrieve throughput on memstore (${opts.throughputCalls} calls, ${opts.concurrency} in flight)`, value: `${memTp.perSec.toFixed(0)}/s`, baseline: `no-op ${(1000 / noop).toFixed(0)}/s sequential`, ratio: ''},
      {
        name: `proxy KV Retrieve throughput on Redis (${opts.throughputCalls} calls, ${opts.concurrency} in flight)`,
        value: `${redisTp.perSec.toFixed(0)}/s`,
        baseline: `direct GET ${directTp.perSec.toFixed(0)}/s at ${opts.concurrency} in flight`,
        ratio: ratio(redisTp.perSec, directTp.perSec),
      },
      {name: `direct NATS publish → receive p50 / p99 (core NATS, ${messaging.proxy.length} messages)`, value: p(messaging.direct), baseline: 'itself', ratio: '1.00×'},
      {name: 'proxy Publish → Consume stream p50 / p99 (NATS, core pub/sub)', value: p(messaging.proxy), baseline: `direct ${fmtMs(median(messaging.direct))}`, ratio: ratio(median(messaging.proxy), median(messaging.direct))},
      ...(await benchSessions(opts.latencyCount)),
    ]
  } finally {
    direct.destroy()
    memKv.close()
    redisKv.close()
    info.close()
    control.close()
    await proxy.stop()
    await admin.stop()
    await redis.stop()
    await nats.stop()
  }
}

/**
 * One message at a time, publish to receive: through the proxy (Publish, then the message arriving on an open
 * Consume stream) and directly on NATS with the client library the proxy uses; the two take turns.
 */
async function publishToConsume(proxyEndpoint: string, natsUrl: string, count: number): Promise<{proxy: number[]; direct: number[]}> {
  const headers = () => ({'x-prism-namespace': 'bench-nats'})
  const producer = createServiceClient(grpc, ProducerPattern, {endpoint: proxyEndpoint, credentials: insecure(), metadata: headers})
  const consumer = createServiceClient(grpc, ConsumerPattern, {endpoint: proxyEndpoint, credentials: insecure(), metadata: headers})
  const {connect} = await import('@nats-io/transport-node')
  const nc = await connect({servers: natsUrl})
  const stream = consumer.consume({topic: 'lat', start: StartPosition.LATEST})
  const viaProxy = stream[Symbol.asyncIterator]()
  const sub = nc.subscribe('direct.lat')
  const direct = sub[Symbol.asyncIterator]()
  const samples = {proxy: [] as number[], direct: [] as number[]}
  try {
    // The stream is open once the first message makes it through (one next() at a time on the stream).
    const first = viaProxy.next()
    for (let arrived = false; !arrived; ) {
      await producer.publish({topic: 'lat', payload: Buffer.from('warm')})
      arrived = (await Promise.race([first.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 200))])) === true
    }
    for (let i = 0; i < count + 100; i++) {
      let t = performance.now()
      await producer.publish({topic: 'lat', payload: Buffer.from(String(i))})
      await viaProxy.next()
      const viaProxyMs = performance.now() - t
      t = performance.now()
      nc.publish('direct.lat', String(i))
      await direct.next()
      const directMs = performance.now() - t
      if (i >= 100) {
        samples.proxy.push(viaProxyMs)
        samples.direct.push(directMs)
      }
    }
    return samples
  } finally {
    stream.cancel()
    sub.unsubscribe()
    await nc.close()
    producer.close()
    consumer.close()
  }
}

/**
 * The price of sessions: KV Retrieve p50 on a session-aware keyvalue pattern (each call checks the caller's session
 * in the session manager's Redis session-store and keeps it fresh) against the same call, same token, same Redis,
 * on a namespace whose pattern is not session-aware; one proxy verifying real OIDC tokens, calls interleaved.
 */
async function benchSessions(count: number): Promise<Row[]> {
  const op = await startTestProvider()
  const redis = await startRedis()
  const admin = await startAdminServer({args: ['--issuer', op.issuer, '--audience', CLIENT_ID]})
  const proxy = await startProxyServer({adminEndpoint: admin.endpoint, args: ['--issuer', op.issuer, '--audience', CLIENT_ID], env: {PRISM_TOKEN: await idTokenFor(op.issuer, 'paul')}})
  const token = await idTokenFor(op.issuer, 'alice')
  const authorization = {authorization: `Bearer ${token}`}
  const control = createServiceClient(grpc, ControlPlane, {endpoint: admin.endpoint, credentials: insecure(), metadata: () => authorization})
  const clientFor = (namespace: string) => createServiceClient(grpc, KeyValuePattern, {endpoint: proxy.endpoint, credentials: insecure(), metadata: () => ({...authorization, 'x-prism-namespace': namespace})})
  const plain = clientFor('bench-plain')
  const aware = clientFor('bench-sessions')
  try {
    await control.applyBackend({backend: {name: 'redis-bench', type: BackendType.REDIS, config: {case: 'redis', value: {address: redis.address}}}})
    const kv = (sessionAware: boolean) => ({name: 'cache', type: 'keyvalue', sessionAware, requires: [{slot: 'kv-store', target: {case: 'backend' as const, value: 'redis-bench'}}]})
    await control.applyNamespace({namespace: create(NamespaceSchema, {name: 'bench-plain', team: 'bench-team', patterns: [kv(false)]})})
    await control.applyNamespace({
      namespace: create(NamespaceSchema, {
        name: 'bench-sessions',
        team: 'bench-team',
        patterns: [{name: 'sessions', type: 'session-manager', settings: {idleTimeout: '30m'}, requires: [{slot: 'session-store', target: {case: 'backend', value: 'redis-bench'}}]}, kv(true)],
      }),
    })
    await waitReady(proxy)
    const value = Buffer.alloc(100, 'x')
    await plain.store({key: 'k', value})
    await aware.store({key: 'k', value})
    const l = await latencies({plain: () => plain.retrieve({key: 'k'}), aware: () => aware.retrieve({key: 'k'})}, count)
    return [
      {
        name: `session-aware KV Retrieve on Redis p50 / p99 (session in a Redis session-store; ${count} sequential calls, interleaved)`,
        value: `${fmtMs(median(l.aware))} / ${fmtMs(percentile(l.aware, 99))}`,
        baseline: `${fmtMs(median(l.plain))} / ${fmtMs(percentile(l.plain, 99))} (same call, pattern not session-aware)`,
        ratio: ratio(median(l.aware), median(l.plain)),
        target: '≤ 1.3×',
      },
    ]
  } finally {
    plain.close()
    aware.close()
    control.close()
    await proxy.stop()
    await admin.stop()
    await redis.stop()
    await op.close()
  }
}
