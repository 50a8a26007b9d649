/** The ingest loops against the in-process memstore backend (real driver, real pool): consume, store, prune. */
import {create} from '@bufbuild/protobuf'
import {afterEach, describe, expect, it} from 'vitest'

import {startPostgres} from '../../../test/helpers/postgres.js'
import {eventually} from '../../../test/helpers/subscriptions.js'
import {BackendSchema, BackendType, NamespaceSchema} from '../../gen/prism/admin/v1/resources_pb.js'
import {BackendPool} from '../backends.js'
import {scopeTopic} from '../isolation.js'
import {RoutingTable} from '../routing.js'
import {MailboxIngest} from './ingest.js'
import type {MailboxQuery} from './store.js'

const mem = create(BackendSchema, {name: 'mem', type: BackendType.MEMSTORE})

function table(settings: Record<string, string> | undefined, store = mem) {
  const patterns = settings ? [{name: 'archive', type: 'mailbox', settings}] : []
  const bindings = [{slot: 'message-source', backend: 'mem'}, {slot: 'mailbox-store', backend: store.name}]
  return RoutingTable.from([create(NamespaceSchema, {name: 'team-alpha', patterns, status: {patterns: patterns.map((p) => ({name: p.name, type: p.type, bindings}))}})], [mem, ...(store === mem ? [] : [store])])
}

const box = {namespace: 'team-alpha', pattern: 'archive'}
const all: MailboxQuery = {topics: [], principals: [], limit: 1000, offset: 0}

let cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanup.reverse()) await c()
  cleanup = []
})

function setUp(now?: () => number) {
  const logs: string[] = []
  const pool = new BackendPool((l) => logs.push(l))
  const ingest = new MailboxIngest({pool, log: (l) => logs.push(l), now})
  cleanup.push(() => pool.close(), () => ingest.close())
  return {pool, ingest, logs}
}

describe('MailboxIngest', () => {
  it('stores the messages of its topics with their metadata, and only those', async () => {
    const {pool, ingest} = setUp()
    const t = table({topics: 'orders, payments'})
    pool.sync(t)
    const conn = await pool.get('mem')
    // Before the loops start: the group starts from the earliest message the topic holds.
    await conn.messaging!.publish({topic: scopeTopic('team-alpha', 'orders'), payload: Buffer.from('early'), metadata: {'prism-principal': 'bob@example.test', 'prism-correlation-id': 'c1', 'x-sequence': '1'}})
    ingest.sync(t)
    await conn.messaging!.publish({topic: scopeTopic('team-alpha', 'payments'), payload: Buffer.from('paid'), metadata: {'prism-content-type': 'text/plain', 'prism-schema-id': 's', 'prism-encryption': 'none'}})
    await conn.messaging!.publish({topic: scopeTopic('team-alpha', 'other'), payload: Buffer.from('ignored'), metadata: {}})
    await conn.messaging!.publish({topic: scopeTopic('team-beta', 'orders'), payload: Buffer.from('not ours'), metadata: {}})
    const stored = await eventually(async () => {
      const r = await conn.mailbox!.query(box, all)
      expect(r.events).toHaveLength(2)
      return r.events
    })
    const bodies = await conn.mailbox!.bodies(box, stored.map((e) => e.messageId))
    expect(stored.map((e) => [e.topic, Buffer.from(bodies.get(e.messageId)!).toString()]).sort()).toEqual([['orders', 'early'], ['payments', 'paid']])
    expect(stored.find((e) => e.topic === 'orders')).toMatchObject({principal: 'bob@example.test', correlationId: 'c1', customHeaders: {'x-sequence': '1'}, namespace: 'team-alpha'})
    expect(stored.find((e) => e.topic === 'payments')).toMatchObject({contentType: 'text/plain', schemaId: 's', encryption: 'none', principal: '', customHeaders: {}})
  })

  it('stops with the pattern, and when the pattern returns stores what was published meanwhile', async () => {
    const {pool, ingest} = setUp()
    pool.sync(table({topics: 'orders'}))
    ingest.sync(table({topics: 'orders'}))
    const conn = await pool.get('mem')
    const publish = (body: string) => conn.messaging!.publish({topic: scopeTopic('team-alpha', 'orders'), payload: Buffer.from(body), metadata: {}})
    await publish('one')
    await eventually(async () => expect((await conn.mailbox!.query(box, all)).events).toHaveLength(1))
    ingest.sync(table(undefined))
    await publish('while away')
    ingest.sync(table({topics: 'orders'}))
    const bodies = await eventually(async () => {
      const events = (await conn.mailbox!.query(box, all)).events
      expect(events).toHaveLength(2)
      const stored = await conn.mailbox!.bodies(box, events.map((e) => e.messageId))
      return [...stored.values()].map((b) => Buffer.from(b).toString())
    })
    expect(bodies.sort()).toEqual(['one', 'while away'])
  })

  it('prunes what is older than the retention', async () => {
    let offset = 0
    const {pool, ingest, logs} = setUp(() => Date.now() + offset)
    pool.sync(table({topics: 'orders', retention: '1h'}))
    const conn = await pool.get('mem')
    const event = (id: string, ageMs: number) => ({messageId: id, timestamp: new Date(Date.now() - ageMs), topic: 'orders', contentType: '', schemaId: '', encryption: '', correlationId: '', principal: '', namespace: 'team-alpha', customHeaders: {}, body: new Uint8Array()})
    await conn.mailbox!.write(box, [event('old', 2 * 3_600_000), event('recent', 60_000)])
    ingest.sync(table({topics: 'orders', retention: '1h'}))
    await eventually(async () => expect((await conn.mailbox!.query(box, all)).events.map((e) => e.messageId)).toEqual(['recent']))
    expect(logs).toContain('mailbox team-alpha/archive: pruned 1 message older than the retention')
    // An hour later (by the ingest's clock), the other one has aged out too.
    offset = 3_600_000
    await eventually(async () => expect((await conn.mailbox!.query(box, all)).events).toEqual([]))
  })

  it('leaves out, and logs, a message the store refuses for good (PostgreSQL: a NUL in a header), and goes on storing', async () => {
    const server = await startPostgres()
    cleanup.push(() => server.stop())
    const u = new URL(await server.createDatabase())
    const pg = create(BackendSchema, {
      name: 'pg',
      type: BackendType.POSTGRES,
      config: {case: 'postgres', value: {host: u.hostname, port: Number(u.port), database: u.pathname.slice(1), sslmode: 'disable'}},
      credentials: {source: {case: 'static', value: {username: 'postgres', password: ''}}},
    })
    const {pool, ingest, logs} = setUp()
    const t = table({topics: 'orders'}, pg)
    pool.sync(t)
    ingest.sync(t)
    const source = (await pool.get('mem')).messaging!
    const store = (await pool.get('pg')).mailbox!
    // A producer writing to the broker directly is not held to the proxy's checks of metadata.
    const publish = (payload: string, metadata: Record<string, string> = {}) => source.publish({topic: scopeTopic('team-alpha', 'orders'), payload: Buffer.from(payload), metadata})
    await publish('a')
    const poison = await publish('poison', {'prism-correlation-id': 'x\u0000y'})
    await publish('b')
    const payloads = async () => {
      const events = (await store.query(box, all)).events
      return [...(await store.bodies(box, events.map((e) => e.messageId))).values()].map((b) => Buffer.from(b).toString()).sort()
    }
    await eventually(async () => expect(await payloads()).toEqual(['a', 'b']))
    expect(logs.some((l) => l.includes(`left out message ${poison} of topic orders, which pg refuses: backend pg (PostgreSQL) refused the data`))).toBe(true)
    await publish('c')
    await eventually(async () => expect(await payloads()).toEqual(['a', 'b', 'c']))
  }, 60_000)
})
