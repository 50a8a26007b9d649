/**
 * The proxy's other drivers end to end through the CLI: real nats-server (JetStream), a real PostgreSQL, and
 * librdkafka's mock cluster for Kafka (a Kafka-protocol test peer, not a Kafka: see test/helpers/kafka-mock.ts).
 */
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {jetstreamManager} from '@nats-io/jetstream'
import {connect as natsConnect} from '@nats-io/transport-node'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {consume, publish} from '../../src/data/messaging.js'
import {natsName} from '../../src/proxy/drivers/nats.js'
import {scopeTopic} from '../../src/proxy/isolation.js'
import {startAdminServer, type AdminServer} from '../helpers/admin-server.js'
import {runCli, tempDir, type CliResult, type RunOptions} from '../helpers/cli.js'
import {startKafkaMock, type KafkaMock} from '../helpers/kafka-mock.js'
import {startNats, type TestNats} from '../helpers/nats.js'
import {startPostgres, type TestPostgres} from '../helpers/postgres.js'
import {startProxyServer, waitReady, type ProxyServer} from '../helpers/proxy-server.js'

let admin: AdminServer
let proxy: ProxyServer
let nats: TestNats
let pg: TestPostgres
let kafka: KafkaMock
let configDir: string

function cli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  return runCli(args, {configDir, timeoutMs: 40_000, ...options, env: {PRISM_ADMIN_ENDPOINT: admin.endpoint, PRISM_PROXY_ENDPOINT: proxy.endpoint, ...options.env}})
}

async function ok(args: string[], options?: RunOptions): Promise<CliResult> {
  const r = await cli(args, options)
  expect(r.code, `prismctl ${args.join(' ')}\n${r.stderr}`).toBe(0)
  return r
}

const lines = (r: CliResult) => r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as {payload: string; metadata: Record<string, string>; messageId: string})

beforeAll(async () => {
  configDir = tempDir()
  ;[nats, pg, kafka] = await Promise.all([startNats(), startPostgres(), startKafkaMock()])
  const db = new URL(await pg.createDatabase())
  admin = await startAdminServer()
  proxy = await startProxyServer({adminEndpoint: admin.endpoint})
  const manifest = join(tempDir('prism-backends-'), 'all.yaml')
  writeFileSync(
    manifest,
    `kind: Backend
name: nats-e2e
type: nats
nats: {url: "${nats.url}", jetstream: true}
---
kind: Backend
name: pg-e2e
type: postgres
postgres: {host: 127.0.0.1, port: ${db.port}, database: ${db.pathname.slice(1)}, sslmode: disable}
credentials: {static: {username: postgres}}
---
kind: Backend
name: kafka-e2e
type: kafka
kafka: {brokers: ["${kafka.broker}"], clientId: prism-e2e}
---
kind: Namespace
name: nats-data
team: platform-team
patterns:
  - name: events
    type: pubsub
    requires: [{slot: message-bus, backend: nats-e2e}]
    settings: {retention: 36h}
---
kind: Namespace
name: pg-data
team: platform-team
patterns:
  - name: cache
    type: keyvalue
    requires: [{slot: kv-store, backend: pg-e2e}]
  - name: jobs
    type: queue
    requires: [{slot: message-queue, backend: pg-e2e}]
---
kind: Namespace
name: kafka-data
team: platform-team
patterns:
  - name: outbound
    type: producer
    requires: [{slot: message-sink, backend: kafka-e2e}]
  - name: inbound
    type: consumer
    requires: [{slot: message-source, backend: kafka-e2e}]
`,
  )
  await ok(['apply', '-f', manifest])
  await waitReady(proxy)
}, 90_000)

afterAll(async () => {
  await proxy?.stop()
  await admin?.stop()
  await Promise.all([nats?.stop(), pg?.stop(), kafka?.stop()])
})

describe('PostgreSQL', () => {
  it('keeps keys with TTL and scans them, and shares a queue group between consumers', async () => {
    await ok(['kv', 'set', 'pg-data', 'user:1', 'ada', '--ttl', '10m'])
    await ok(['kv', 'set', 'pg-data', 'user:2', 'alan'])
    expect((await ok(['kv', 'get', 'pg-data', 'user:1'])).stdout).toBe('ada')
    expect(Number((await ok(['kv', 'ttl', 'pg-data', 'user:1'])).stdout)).toBeGreaterThan(590)
    expect((await ok(['kv', 'scan', 'pg-data', 'user:', '-o', 'name'])).stdout.trim().split('\n')).toEqual(['user:1', 'user:2'])

    await ok(['publish', 'pg-data', 'work', 'job', '--count', '4'])
    const a = await ok(['consume', 'pg-data', 'work', '--group', 'w', '--from', 'earliest', '--count', '2', '-o', 'json'])
    const b = await ok(['consume', 'pg-data', 'work', '--group', 'w', '--from', 'earliest', '--count', '2', '-o', 'json'])
    expect([...lines(a), ...lines(b)].map((m) => m.metadata['x-sequence']).sort()).toEqual(['1', '2', '3', '4'])
  }, 60_000)
})

describe('NATS JetStream', () => {
  it('replays with metadata, and a group survives a proxy restart: nothing acknowledged comes twice, nothing is lost', async () => {
    const ids = (await ok(['publish', 'nats-data', 'orders', 'o', '--count', '5', '-H', 'src=e2e'])).stdout.trim().split('\n')
    expect(ids).toHaveLength(5)
    const replay = lines(await ok(['consume', 'nats-data', 'orders', '--from', 'earliest', '--count', '5', '-o', 'json']))
    expect(replay.map((m) => m.messageId)).toEqual(ids)
    expect(replay[0]!.metadata).toMatchObject({src: 'e2e', 'x-sequence': '1'})
    // The topic's stream keeps messages for the pattern's settings.retention.
    const nc = await natsConnect({servers: nats.url})
    try {
      const info = await (await jetstreamManager(nc)).streams.info(`PRISM_${natsName('topic', scopeTopic('nats-data', 'orders'))}`)
      expect(info.config.max_age).toBe(36 * 3_600 * 1e9)
    } finally {
      await nc.close()
    }

    const first = lines(await ok(['consume', 'nats-data', 'orders', '--group', 'billing', '--from', 'earliest', '--count', '2', '--ack-wait', '2s', '-o', 'json']))
    const acked = first.map((m) => m.metadata['x-sequence'])
    // The proxy restarts (a new process, a new id), with the group's unacknowledged messages still out there. It
    // stays down past the ack wait, so they fall due while no member pulls (see the NATS driver's member close).
    await proxy.stop()
    await new Promise((r) => setTimeout(r, 2_500))
    proxy = await startProxyServer({adminEndpoint: admin.endpoint})
    await waitReady(proxy)
    // At least once: what the old proxy had pulled ahead (3, 4 and 5, never acknowledged) comes back after the 2 s ack
    // wait, each once, and nothing acknowledged before the restart comes again: one run of --count 3 gets exactly those.
    const later = lines(await ok(['consume', 'nats-data', 'orders', '--group', 'billing', '--count', '3', '--ack-wait', '2s', '--timeout', '10s', '-o', 'json']))
    expect(acked.sort()).toEqual(['1', '2'])
    expect(later.map((m) => m.metadata['x-sequence']).sort()).toEqual(['3', '4', '5'])
    // Each was acknowledged once shown: past the ack wait, nothing of the group is delivered again.
    const after = await ok(['consume', 'nats-data', 'orders', '--group', 'billing', '--ack-wait', '2s', '--timeout', '4s', '-o', 'json'])
    expect(lines(after)).toEqual([])
  }, 90_000)

  it('passes over a copy of a message it acknowledged already (sent again while the first was being shown)', async () => {
    await ok(['publish', 'nats-data', 'slow-reader', 'first'])
    const target = {namespace: 'nats-data', topic: 'slow-reader', proxyEndpoint: proxy.endpoint}
    const shown: string[] = []
    const saved = process.env.PRISM_CONFIG_DIR
    process.env.PRISM_CONFIG_DIR = configDir
    try {
      const result = await consume(target, {
        group: 'slow',
        ackWaitSeconds: 1,
        from: 'earliest',
        count: 2,
        idleMs: 20_000,
        follow: false,
        onMessage: (m) => {
          shown.push(Buffer.from(m.payload).toString())
          if (shown.length > 1) return
          // A slow reader: the 1 s ack wait lapses (the proxy sends the message again) before this one is acknowledged.
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2_500)
          void publish(target, {payload: Buffer.from('second'), metadata: {}, count: 1})
        },
      })
      expect(result).toEqual({received: 2, reason: 'count'})
    } finally {
      if (saved === undefined) delete process.env.PRISM_CONFIG_DIR
      else process.env.PRISM_CONFIG_DIR = saved
    }
    expect(shown).toEqual(['first', 'second'])
  }, 60_000)
})

describe('Kafka (protocol test peer)', () => {
  it('produces with headers and consumes in a group that resumes after its committed offsets', async () => {
    await ok(['publish', 'kafka-data', 'clicks', 'c', '--count', '3', '-H', 'origin=web'])
    const first = lines(await ok(['consume', 'kafka-data', 'clicks', '--group', 'stats', '--from', 'earliest', '--count', '3', '--timeout', '20s', '-o', 'json']))
    expect(first.map((m) => m.metadata['x-sequence']).sort()).toEqual(['1', '2', '3'])
    expect(first[0]!.metadata.origin).toBe('web')
    await ok(['publish', 'kafka-data', 'clicks', 'late'])
    const second = lines(await ok(['consume', 'kafka-data', 'clicks', '--group', 'stats', '--from', 'earliest', '--count', '1', '--timeout', '30s', '-o', 'json']))
    expect(second.map((m) => m.payload)).toEqual(['late'])
  }, 120_000)
})

describe('isolation', () => {
  it('keeps namespaces that share a backend apart', async () => {
    const manifest = join(tempDir('prism-iso-'), 'iso.yaml')
    writeFileSync(
      manifest,
      ['iso-one', 'iso-two']
        .map((n) => `kind: Namespace\nname: ${n}\nteam: platform-team\npatterns:\n  - name: cache\n    type: keyvalue\n    requires: [{slot: kv-store, backend: pg-e2e}]\n`)
        .join('---\n'),
    )
    await ok(['apply', '-f', manifest])
    await waitReady(proxy)
    const set = async (ns: string) => {
      for (let i = 0; ; i++) {
        const r = await cli(['kv', 'set', ns, 'same-key', ns])
        if (r.code === 0 || i > 50) return expect(r.code, r.stderr).toBe(0)
        await new Promise((res) => setTimeout(res, 100))
      }
    }
    await set('iso-one')
    await set('iso-two')
    expect((await ok(['kv', 'get', 'iso-one', 'same-key'])).stdout).toBe('iso-one')
    expect((await ok(['kv', 'get', 'iso-two', 'same-key'])).stdout).toBe('iso-two')
    expect((await ok(['kv', 'scan', 'iso-one', '', '-o', 'name'])).stdout.trim()).toBe('same-key')
  }, 60_000)
})
