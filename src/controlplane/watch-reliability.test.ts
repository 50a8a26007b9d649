/**
 * Watch under stress, over real gRPC on 127.0.0.1: watchers that never read (raw grpc-js clients that pause their
 * stream) while many large changes are made, a PostgreSQL outage under two replicas sharing the database, and a
 * replica's change feed cut while the database stays up and the other replica keeps writing.
 */
import {readFileSync} from 'node:fs'

import {create, fromBinary, toBinary} from '@bufbuild/protobuf'
import * as grpc from '@grpc/grpc-js'
import {describe, expect, it} from 'vitest'

import {startAdminServer} from '../../test/helpers/admin-server.js'
import {clientFor, redis, startServer, type Client} from '../../test/helpers/control-plane.js'
import {startPostgres} from '../../test/helpers/postgres.js'
import {createServiceClient} from '../api/grpc-service.js'
import {Health, HealthCheckResponse_ServingStatus} from '../gen/grpc/health/v1/health_pb.js'
import {ControlPlane, WatchEventSchema, WatchEventType, WatchRequestSchema, type WatchEvent} from '../gen/prism/admin/v1/control_plane_pb.js'
import type {RunningServer} from './server.js'
import {DEFAULT_WATCH_LIMITS} from './watch-stream.js'

const connect = (endpoint: string): Client => createServiceClient(grpc, ControlPlane, {endpoint, credentials: grpc.credentials.createInsecure(), defaultTimeoutMs: 15_000})

/** A backend near the size limits: 64 labels with long keys and values, a long description (about 21 KB encoded). */
const largeBackend = (name: string, edit: number) =>
  redis(name, {
    description: `edit ${edit} `.padEnd(1024, 'd'),
    labels: Object.fromEntries(Array.from({length: 64}, (_, i) => [`label-${String(i).padStart(2, '0')}-`.padEnd(63, 'k'), `${edit}-`.padEnd(256, 'v')])),
  })

/** A Watch through a bare grpc-js client that pauses at once: it never reads what the server sends. */
function pausedWatch(address: string) {
  const client = new grpc.Client(address, grpc.credentials.createInsecure())
  const call = client.makeServerStreamRequest(
    `/${ControlPlane.typeName}/Watch`,
    (request: object) => Buffer.from(toBinary(WatchRequestSchema, create(WatchRequestSchema, request as never))),
    (bytes: Buffer) => fromBinary(WatchEventSchema, bytes),
    {proxyId: 'never-reads'} as never,
  )
  const ended = new Promise<grpc.ServiceError | undefined>((resolve) => {
    call.on('error', (err: grpc.ServiceError) => resolve(err))
    call.on('end', () => resolve(undefined))
  })
  let received = 0
  call.on('data', () => received++)
  call.pause()
  return {call, ended, received: () => received, close: () => client.close()}
}

async function inParallel(count: number, concurrency: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({length: concurrency}, async () => {
    while (next < count) await work(next++)
  }))
}

/** A process's resident set now and at its peak (Linux), in bytes. */
function memoryOf(pid: number): {rss: number; peak: number} {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024
  return {rss: kib('VmRSS'), peak: kib('VmHWM')}
}

describe('watchers that never read', () => {
  it('hold at most the bound each, are closed with RESOURCE_EXHAUSTED, and server memory stays bounded', async () => {
    // A small young generation makes V8 collect garbage early, so the resident set follows what the server holds.
    const server = await startAdminServer({env: {NODE_OPTIONS: '--max-semi-space-size=2'}})
    const client = connect(server.endpoint)
    const watchers: ReturnType<typeof pausedWatch>[] = []
    try {
      // A snapshot of about 6 MiB: more than the write window, so the snapshot itself must wait for each reader.
      await inParallel(300, 8, (i) => client.registerBackend({backend: largeBackend(`big-${String(i).padStart(3, '0')}`, 0)}))
      // The same work without watchers first: the server's peak memory for it, garbage included, is the baseline.
      const update = (round: number, count: number) => inParallel(count, 8, (i) => client.updateBackend({backend: largeBackend(`big-${String(i % 300).padStart(3, '0')}`, round * 10_000 + i)}))
      await update(1, 1000)
      const baseline = memoryOf(server.child.pid!).peak
      for (let i = 0; i < 20; i++) watchers.push(pausedWatch(server.endpoint))
      // 1,500 changes of about 21 KB: about 30 MiB that each of the 20 watchers would have to be sent.
      await update(2, 1500)
      const grown = memoryOf(server.child.pid!).peak - baseline
      const dropped = server.logs().split('\n').filter((l) => l.includes('fell behind'))
      expect(dropped, server.logs()).toHaveLength(20)
      for (const line of dropped) {
        const held = /holding (\d+) bytes in (\d+) events, bound (\d+) bytes or (\d+) events/.exec(line)
        expect(held, line).not.toBeNull()
        expect(Number(held![1])).toBeLessThanOrEqual(DEFAULT_WATCH_LIMITS.maxBufferedBytes)
        expect(Number(held![3])).toBe(DEFAULT_WATCH_LIMITS.maxBufferedBytes)
        expect(line).toContain('(proxy never-reads)')
      }
      // Measured here: without the bound the peak grows by about 250 MiB (and keeps growing with every change); with
      // it, by 70 to 80 MiB (the watchers' snapshot pages and write windows), however many changes follow.
      expect(grown).toBeLessThan(160 * 1024 * 1024)

      // A client that reads again gets what was already on its way, then the status telling it to resynchronise.
      const first = watchers[0]!
      first.call.resume()
      const err = await first.ended
      expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED)
      expect(err?.details).toMatch(/^watch fell behind \(more than 8 MiB or 10000 events waiting for it\); reconnect to resynchronise$/)
      expect(first.received()).toBeGreaterThan(0)
      expect(first.received()).toBeLessThan(300 + 1500)

      // The server still serves watches that do read.
      const reader = client.watch({proxyId: 'reads'})[Symbol.asyncIterator]()
      let snapshot = 0
      for (let r = await reader.next(); !r.done && r.value.type !== WatchEventType.SYNCED; r = await reader.next()) snapshot++
      expect(snapshot).toBe(300)
    } finally {
      for (const w of watchers) w.close()
      client.close()
      await server.stop()
    }
  }, 120_000)
})

/** Reads a watch up to SYNCED; returns the iterator for what follows. */
async function synced(client: Client): Promise<AsyncIterator<WatchEvent>> {
  const iterator = client.watch({proxyId: 'outage-test'})[Symbol.asyncIterator]()
  for (;;) {
    const {value, done} = await iterator.next()
    if (done) throw new Error('watch ended before SYNCED')
    if (value.type === WatchEventType.SYNCED) return iterator
  }
}

/** Follows a server's grpc.health.v1 Watch; `reached(status)` resolves once that status has been seen. */
function healthOf(server: RunningServer) {
  const health = createServiceClient(grpc, Health, {endpoint: server.address, credentials: grpc.credentials.createInsecure()})
  const seen: HealthCheckResponse_ServingStatus[] = []
  const waiting: {status: HealthCheckResponse_ServingStatus; resolve: () => void}[] = []
  const stream = health.watch({service: ''})
  void (async () => {
    for await (const message of stream) {
      seen.push(message.status)
      for (const w of waiting.filter((w) => w.status === message.status)) w.resolve()
    }
  })().catch(() => {})
  return {
    seen,
    reached: (status: HealthCheckResponse_ServingStatus) => new Promise<void>((resolve) => (seen.slice(-1)[0] === status ? resolve() : waiting.push({status, resolve}))),
    close() {
      stream.cancel()
      health.close()
    },
  }
}

describe('a PostgreSQL outage under two replicas', () => {
  it('ends open watches with UNAVAILABLE, says NOT_SERVING, and afterwards both replicas see each other again', async () => {
    const pg = await startPostgres()
    const url = await pg.createDatabase()
    const logs: string[] = []
    const [a, b] = await Promise.all([startServer(url, undefined, {log: (l) => logs.push(`a: ${l}`)}), startServer(url, undefined, {log: (l) => logs.push(`b: ${l}`)})])
    const clientA = clientFor(a)
    const clientB = clientFor(b)
    const health = [healthOf(a), healthOf(b)]
    try {
      await clientA.registerBackend({backend: redis('redis-kept')})
      await clientA.registerBackend({backend: redis('redis-gone')})
      await Promise.all(health.map((h) => h.reached(HealthCheckResponse_ServingStatus.SERVING)))
      const watches = [await synced(clientA), await synced(clientB)]

      await pg.takeDown()
      const outage = Date.now()
      for (const watch of watches) {
        const err = (await watch.next().catch((e: unknown) => e)) as grpc.ServiceError
        expect(err.code, logs.join('\n')).toBe(grpc.status.UNAVAILABLE)
        expect(err.details).toMatch(/lost its change feed.*reconnect to resynchronise/)
      }
      await Promise.all(health.map((h) => h.reached(HealthCheckResponse_ServingStatus.NOT_SERVING)))
      // No watch can start while the feed is down: it could miss changes.
      const refused = (await clientA.watch({})[Symbol.asyncIterator]().next().catch((e: unknown) => e)) as grpc.ServiceError
      expect(refused.code).toBe(grpc.status.UNAVAILABLE)
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 5000 - (Date.now() - outage))))
      await pg.startAgain()

      await Promise.all(health.map((h) => h.reached(HealthCheckResponse_ServingStatus.SERVING)))
      for (const h of health) expect(h.seen).toEqual([HealthCheckResponse_ServingStatus.SERVING, HealthCheckResponse_ServingStatus.NOT_SERVING, HealthCheckResponse_ServingStatus.SERVING])
      expect(logs.filter((l) => l.includes('store change feed restored'))).toHaveLength(2)

      // Resynchronised watches, and each replica sees what the other commits (a delete included).
      const [onA, onB] = [await synced(clientA), await synced(clientB)]
      await clientB.registerBackend({backend: redis('redis-new-b')})
      expect((await onA.next()).value).toMatchObject({type: WatchEventType.UPSERT, resource: {case: 'backend', value: {name: 'redis-new-b'}}})
      await clientB.deleteBackend({name: 'redis-gone'})
      expect((await onA.next()).value).toMatchObject({type: WatchEventType.DELETE, resource: {case: 'backend', value: {name: 'redis-gone'}}})
      await clientA.registerBackend({backend: redis('redis-new-a')})
      const seenOnB = [(await onB.next()).value, (await onB.next()).value, (await onB.next()).value].map((e: WatchEvent) => [e.type, e.resource.value?.name])
      expect(seenOnB).toEqual([
        [WatchEventType.UPSERT, 'redis-new-b'],
        [WatchEventType.DELETE, 'redis-gone'],
        [WatchEventType.UPSERT, 'redis-new-a'],
      ])
    } finally {
      for (const h of health) h.close()
      clientA.close()
      clientB.close()
      await Promise.all([a.shutdown(1000), b.shutdown(1000)])
      await pg.stop()
    }
  }, 90_000)
})

describe('a change feed lost while the database stays up', () => {
  it('ends the watch; the next one starts from a snapshot with what was committed meanwhile, deletes included', async () => {
    const pg = await startPostgres()
    const url = await pg.createDatabase()
    const [a, b] = await Promise.all([startServer(url), startServer(url)])
    const clientA = clientFor(a)
    const clientB = clientFor(b)
    const admin = new (await import('pg')).default.Client({connectionString: url})
    await admin.connect()
    try {
      await clientB.registerBackend({backend: redis('redis-gone')})
      const watch = await synced(clientA)
      // Cut every replica's LISTEN connection (another replica's writes keep working through its pool).
      const cut = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN prism_changes'`)
      expect(cut.rowCount).toBe(2)
      await clientB.deleteBackend({name: 'redis-gone'})
      await clientB.registerBackend({backend: redis('redis-new')})
      // The watch ends with UNAVAILABLE once the replica notices; a change relayed just before that may still arrive.
      let ended: grpc.ServiceError | undefined
      for (let i = 0; i < 10 && !ended; i++) {
        const next = await watch.next().then(
          () => undefined,
          (e: unknown) => e as grpc.ServiceError,
        )
        ended = next
      }
      expect(ended?.code).toBe(grpc.status.UNAVAILABLE)

      // Watch again (refused while the feed reconnects, so retry for a bounded time).
      const deadline = Date.now() + 15_000
      let snapshot: string[] | undefined
      while (!snapshot && Date.now() < deadline) {
        const names: string[] = []
        try {
          const iterator = clientA.watch({proxyId: 'resync-test'})[Symbol.asyncIterator]()
          for (let r = await iterator.next(); !r.done && r.value.type !== WatchEventType.SYNCED; r = await iterator.next()) names.push(r.value.resource.value!.name)
          snapshot = names
        } catch (e) {
          expect((e as grpc.ServiceError).code).toBe(grpc.status.UNAVAILABLE)
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
      }
      expect(snapshot).toEqual(['redis-new'])
    } finally {
      await admin.end()
      clientA.close()
      clientB.close()
      await Promise.all([a.shutdown(1000), b.shutdown(1000)])
      await pg.stop()
    }
  }, 60_000)
})
