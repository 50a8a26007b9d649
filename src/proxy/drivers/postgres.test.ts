import {create} from '@bufbuild/protobuf'
import pg from 'pg'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {rejection} from '../../../test/helpers/errors.js'
import {freePort} from '../../../test/helpers/ports.js'
import {startPostgres, type TestPostgres} from '../../../test/helpers/postgres.js'
import {bytes, take, text, redeliveredAfterRestart} from '../../../test/helpers/subscriptions.js'
import {BackendSchema, BackendType} from '../../gen/prism/admin/v1/resources_pb.js'
import {connect, likePrefix} from './postgres.js'
import type {BackendConnection, DeliveredMessage, Subscription} from './types.js'

function postgresBackend(url: string, password?: string) {
  const u = new URL(url)
  return create(BackendSchema, {
    name: 'pg-test',
    type: BackendType.POSTGRES,
    config: {case: 'postgres', value: {host: u.hostname, port: Number(u.port), database: u.pathname.slice(1), sslmode: 'disable'}},
    credentials: {source: {case: 'static', value: {username: 'postgres', password: password ?? ''}}},
  })
}
const open = (url: string, password?: string) => connect(postgresBackend(url, password), {log: () => {}})

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

let server: TestPostgres
let url: string
let driver: BackendConnection
let sql: pg.Client
beforeAll(async () => {
  server = await startPostgres()
  url = await server.createDatabase()
  driver = await open(url)
  await driver.ping()
  sql = new pg.Client({connectionString: url})
  await sql.connect()
})
afterAll(async () => {
  try {
    await sql?.end()
    await driver?.close()
  } finally {
    await server?.stop()
  }
})

describe('PostgreSQL keyvalue', () => {
  it('sets, gets, checks and deletes bytes', async () => {
    const kv = driver.keyValue!
    expect(kv.support).toEqual({expiration: true, scan: 'native', batch: 'native', transactions: true})
    const value = new Uint8Array([0, 1, 2, 255])
    await kv.set('k1', value)
    expect(await kv.get('k1')).toEqual(value)
    expect(await kv.exists('k1')).toBe(true)
    await kv.set('k1', bytes('replaced'))
    expect(text({payload: (await kv.get('k1'))!} as DeliveredMessage)).toBe('replaced')
    expect(await kv.delete('k1')).toBe(true)
    expect(await kv.delete('k1')).toBe(false)
    expect(await kv.get('k1')).toBeUndefined()
    expect(await kv.exists('k1')).toBe(false)
  })

  it('expires keys: ttl, expire, and expired rows invisible until overwritten', async () => {
    const kv = driver.keyValue!
    await kv.set('forever', bytes('x'))
    await kv.set('brief', bytes('x'), 100)
    expect(await kv.ttl('forever')).toBe(-1)
    expect(await kv.ttl('brief')).toBeGreaterThanOrEqual(99)
    expect(await kv.ttl('brief')).toBeLessThanOrEqual(100)
    expect(await kv.ttl('missing')).toBeUndefined()
    expect(await kv.expire('forever', 50)).toBe(true)
    expect(await kv.ttl('forever')).toBeLessThanOrEqual(50)
    expect(await kv.expire('missing', 50)).toBe(false)

    // Expiry in the past, set in the table directly: no waiting for a clock.
    await sql.query(`UPDATE prism_kv SET expires_at = now() - interval '1 second' WHERE key = 'brief'`)
    expect(await kv.get('brief')).toBeUndefined()
    expect(await kv.exists('brief')).toBe(false)
    expect(await kv.ttl('brief')).toBeUndefined()
    expect(await kv.expire('brief', 10)).toBe(false)
    expect(await kv.delete('brief')).toBe(false)
    await kv.set('brief', bytes('back'))
    expect(await kv.ttl('brief')).toBe(-1)
  })

  it('scans by prefix literally, also with %, _ and backslash in it', async () => {
    const kv = driver.keyValue!
    for (const key of ['s/a%b/1', 's/a%b/2', 's/axb/3', 's/a_b/4', 's/aXb/5', 's/a\\b/6', 's/a\\\\b/7']) await kv.set(key, bytes(key))
    const keys = async (prefix: string, limit = 100) => (await collect(kv.scan(prefix, limit, true))).map((e) => e.key)
    expect(await keys('s/a%b/')).toEqual(['s/a%b/1', 's/a%b/2'])
    expect(await keys('s/a_b')).toEqual(['s/a_b/4'])
    expect(await keys('s/a\\b')).toEqual(['s/a\\b/6'])
    // Byte order (C collation): % < X < \\ < _ < b < x.
    expect(await keys('s/', 4)).toEqual(['s/a%b/1', 's/a%b/2', 's/aXb/5', 's/a\\\\b/7'])
    const withValues = await collect(kv.scan('s/axb', 10, false))
    expect(withValues.map((e) => [e.key, Buffer.from(e.value!).toString()])).toEqual([['s/axb/3', 's/axb/3']])
    expect(likePrefix('a%b_c\\')).toBe('a\\%b\\_c\\\\%')
  })

  it('answers a prefix scan from the primary key index', async () => {
    await sql.query('SET enable_seqscan = off')
    const plan = (await sql.query(`EXPLAIN SELECT key FROM prism_kv WHERE key LIKE $1 ESCAPE '\\' ORDER BY key LIMIT 10`, [likePrefix('s/a%b/')])).rows.map((r) => r['QUERY PLAN'] as string).join('\n')
    await sql.query('RESET enable_seqscan')
    expect(plan).toMatch(/Index (Only )?Scan (using|on) prism_kv_pkey/)
    expect(plan).toMatch(/Index Cond: .*key >= /)
  })

  it('writes and reads batches in one statement, pages long scans', async () => {
    const kv = driver.keyValue!
    await kv.setMany!([
      {key: 'b/1', value: bytes('one')},
      {key: 'b/2', value: bytes('two'), ttlSeconds: 60},
      {key: 'b/1', value: bytes('one again')},
    ])
    const got = await kv.getMany!(['b/2', 'b/missing', 'b/1'])
    expect(got.map((v) => (v ? Buffer.from(v).toString() : undefined))).toEqual(['two', undefined, 'one again'])
    expect(await kv.ttl('b/2')).toBeGreaterThan(0)
    await kv.setMany!(Array.from({length: 1200}, (_, i) => ({key: `p/${String(i).padStart(4, '0')}`, value: bytes(String(i))})))
    const all = await collect(kv.scan('p/', 5000, true))
    expect(all).toHaveLength(1200)
    expect(all.at(-1)!.key).toBe('p/1199')
    expect(await collect(kv.scan('p/', 700, true))).toHaveLength(700)
  })
})

describe('PostgreSQL queue', () => {
  it('replays from the earliest row or starts after the latest, without a group', async () => {
    const q = driver.messaging!
    expect(q.support).toEqual({persistent: true, groups: true, ack: true})
    const oldId = await q.publish({topic: 'news', payload: bytes('old'), metadata: {kind: 'a'}})
    const earliest = await q.subscribe('news', {start: 'earliest', ackWaitSeconds: 30})
    const latest = await q.subscribe('news', {start: 'latest', ackWaitSeconds: 30})
    const newId = await q.publish({topic: 'news', payload: bytes('new'), metadata: {kind: 'b'}})
    await q.publish({topic: 'other', payload: bytes('elsewhere'), metadata: {}})
    const fromStart = await take(earliest, 2)
    expect(fromStart.map((m) => [m.messageId, text(m), m.metadata.kind])).toEqual([[oldId, 'old', 'a'], [newId, 'new', 'b']])
    expect(fromStart[0]!.ackToken).toBeUndefined()
    expect(fromStart[0]!.timestamp).toBeInstanceOf(Date)
    expect((await take(latest, 1)).map(text)).toEqual(['new'])
    await Promise.all([earliest.close(), latest.close()])
  })

  it('shares a group between two proxies with SKIP LOCKED claims, each message once', async () => {
    const other = await open(url)
    try {
      const ids: string[] = []
      for (let i = 0; i < 40; i++) ids.push(await driver.messaging!.publish({topic: 'jobs', payload: bytes(`job-${i}`), metadata: {}}))
      const options = {group: 'workers', start: 'earliest' as const, ackWaitSeconds: 30}
      const a = await driver.messaging!.subscribe('jobs', options)
      const seen: Record<string, string[]> = {a: [], b: []}
      const total = () => seen.a!.length + seen.b!.length
      const read = async (name: string, sub: Subscription, ack: BackendConnection, until: () => boolean) => {
        const it = sub[Symbol.asyncIterator]()
        while (!until()) {
          const next = await it.next()
          if (next.done) return
          const m = next.value
          seen[name]!.push(m.messageId)
          expect(await ack.messaging!.ack('jobs', 'workers', [m.ackToken!])).toBe(1)
        }
      }
      // a takes one and pauses, holding what it claimed ahead; b must get the rest.
      await read('a', a, driver, () => seen.a!.length === 1)
      const b = await other.messaging!.subscribe('jobs', options)
      await read('b', b, other, () => seen.b!.length > 0)
      // Whoever reads the last one ends both subscriptions, which ends the other's wait.
      const closeBoth = () => Promise.all([a.close(), b.close()])
      await Promise.all([read('a', a, driver, () => total() >= 40).then(closeBoth), read('b', b, other, () => total() >= 40).then(closeBoth)])
      expect([...seen.a!, ...seen.b!].sort()).toEqual([...ids].sort())
      expect(seen.b!.length).toBeGreaterThan(0)
    } finally {
      await other.close()
    }
  })

  it('delivers a claimed message again once its visibility timeout lapses without an ack', async () => {
    const q = driver.messaging!
    const sub = await q.subscribe('slow', {group: 'g', start: 'latest', ackWaitSeconds: 1})
    const id = await q.publish({topic: 'slow', payload: bytes('again'), metadata: {}})
    const [first, second] = await take(sub, 2)
    expect([first!.messageId, second!.messageId]).toEqual([id, id])
    expect(await q.ack('slow', 'g', [second!.ackToken!])).toBe(1)
    await sub.close()
  })

  it('takes an ack from another proxy, and refuses tokens that are not ids', async () => {
    const sub = await driver.messaging!.subscribe('handoff', {group: 'g', start: 'latest', ackWaitSeconds: 30})
    await driver.messaging!.publish({topic: 'handoff', payload: bytes('x'), metadata: {}})
    const [m] = await take(sub, 1)
    const other = await open(url)
    try {
      expect(await other.messaging!.ack('handoff', 'g', [m!.ackToken!])).toBe(1)
      expect((await rejection(other.messaging!.ack('handoff', 'g', ['1; DROP TABLE x']))).code).toBe('INVALID_ARGUMENT')
    } finally {
      await other.close()
    }
    const state = await sql.query(`SELECT acked_through FROM prism_queue_groups WHERE topic = 'handoff' AND grp = 'g'`)
    expect(state.rows[0].acked_through).toBe(m!.messageId)
    await sub.close()
  })

  it("deletes a topic's messages older than the publisher's retention, with their claims, and no other topic's", async () => {
    const q = driver.messaging!
    const sub = await q.subscribe('aging', {group: 'g', start: 'earliest', ackWaitSeconds: 30})
    for (const body of ['old-1', 'old-2']) await q.publish({topic: 'aging', payload: bytes(body), metadata: {}})
    await q.publish({topic: 'aging-other', payload: bytes('old-elsewhere'), metadata: {}})
    expect((await take(sub, 2)).map(text)).toEqual(['old-1', 'old-2'])
    await sub.close()
    await sql.query(`UPDATE prism_queue_messages SET published_at = now() - interval '2 hours' WHERE topic IN ('aging', 'aging-other')`)
    // Another proxy (whose last pruning of the topic is not recent) publishes with a retention of one hour.
    const other = await open(url)
    let fresh: string
    try {
      fresh = await other.messaging!.publish({topic: 'aging', payload: bytes('new'), metadata: {}}, {retentionMs: 3_600_000})
    } finally {
      await other.close()
    }
    const left = await sql.query(`SELECT topic, id::text FROM prism_queue_messages WHERE topic IN ('aging', 'aging-other') ORDER BY id`)
    expect(left.rows.map((r) => [r.topic, r.id === fresh ? 'new' : 'old'])).toEqual([['aging-other', 'old'], ['aging', 'new']])
    const claims = await sql.query(`SELECT count(*)::int AS n FROM prism_queue_deliveries WHERE topic = 'aging'`)
    expect(claims.rows[0].n).toBe(0)
    // A new group starting at the earliest gets what is kept, nothing else.
    const late = await q.subscribe('aging', {group: 'late', start: 'earliest', ackWaitSeconds: 30})
    expect((await take(late, 1)).map(text)).toEqual(['new'])
    await late.close()
  })

  it('keeps a group across a proxy restart: nothing acknowledged comes again, nothing published is lost', async () => {
    const options = {group: 'restart', start: 'earliest' as const, ackWaitSeconds: 1}
    const first = await open(url)
    const published: string[] = []
    for (let i = 0; i < 10; i++) published.push(await first.messaging!.publish({topic: 'orders', payload: bytes(`m${i}`), metadata: {}}))
    const sub = await first.messaging!.subscribe('orders', options)
    const acked = (await take(sub, 4)).slice(0, 3)
    expect(await first.messaging!.ack('orders', 'restart', acked.map((m) => m.ackToken!))).toBe(3)
    await first.close()

    const second = await open(url)
    try {
      expect(await redeliveredAfterRestart(second, 'orders', options, published, acked)).toEqual([])
    } finally {
      await second.close()
    }
  })
})

describe('PostgreSQL unavailable', () => {
  it('is UNAVAILABLE naming the backend and its address, never the password', async () => {
    const port = await freePort()
    const down = await open(`postgres://127.0.0.1:${port}/app`, 'pg-secret-pw')
    try {
      for (const call of [() => down.ping(), () => down.keyValue!.get('k'), () => down.messaging!.publish({topic: 't', payload: bytes('x'), metadata: {}})]) {
        const err = await rejection(call())
        expect(err.code).toBe('UNAVAILABLE')
        expect(err.message).toContain('pg-test')
        expect(err.message).toContain(`127.0.0.1:${port}/app`)
        expect(err.message).not.toContain('pg-secret-pw')
      }
    } finally {
      await down.close()
    }
  })
})
