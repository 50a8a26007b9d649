/**
 * One suite, every mailbox store, through the driver that offers it: PostgreSQL (a throwaway server), SQLite (a temp
 * file) and memstore. Whatever one store answers, the others must answer the same.
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {create} from '@bufbuild/protobuf'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startPostgres, type TestPostgres} from '../../../test/helpers/postgres.js'
import {BackendSchema, BackendType} from '../../gen/prism/admin/v1/resources_pb.js'
import {connect as connectMemstore} from '../drivers/memstore.js'
import {connect as connectPostgres} from '../drivers/postgres.js'
import {connect as connectSqlite} from '../drivers/sqlite.js'
import type {BackendConnection} from '../drivers/types.js'
import {MemoryMailboxStore} from './memory-store.js'
import type {MailboxEvent, MailboxKey, MailboxQuery, MailboxStore} from './store.js'

let server: TestPostgres
const dir = mkdtempSync(join(tmpdir(), 'prism-mailbox-'))
const connections: BackendConnection[] = []
const stores: Record<string, MailboxStore> = {}

beforeAll(async () => {
  server = await startPostgres()
  const u = new URL(await server.createDatabase())
  const log = () => {}
  connections.push(
    await connectPostgres(
      create(BackendSchema, {
        name: 'pg-mailbox',
        type: BackendType.POSTGRES,
        config: {case: 'postgres', value: {host: u.hostname, port: Number(u.port), database: u.pathname.slice(1), sslmode: 'disable'}},
        credentials: {source: {case: 'static', value: {username: 'postgres', password: ''}}},
      }),
      {log},
    ),
    await connectSqlite(create(BackendSchema, {name: 'sqlite-mailbox', type: BackendType.SQLITE, config: {case: 'sqlite', value: {path: join(dir, 'sub', 'mailbox.db')}}}), {log}),
    await connectMemstore(create(BackendSchema, {name: 'mem-mailbox', type: BackendType.MEMSTORE}), {log}),
  )
  ;[stores.postgres, stores.sqlite, stores.memstore] = connections.map((c) => c.mailbox!)
}, 60_000)

afterAll(async () => {
  try {
    await Promise.all(connections.map((c) => c.close()))
  } finally {
    rmSync(dir, {recursive: true, force: true})
    await server?.stop()
  }
})

const T0 = Date.parse('2026-01-01T00:00:00Z')
const box: MailboxKey = {namespace: 'team-alpha', pattern: 'archive'}

function event(i: number, over: Partial<MailboxEvent> = {}): MailboxEvent {
  return {
    messageId: `m-${String(i).padStart(4, '0')}`,
    timestamp: new Date(T0 + i * 1000),
    topic: i % 2 === 0 ? 'orders' : 'payments',
    contentType: 'text/plain',
    schemaId: i % 5 === 0 ? 'order-v1' : '',
    encryption: '',
    correlationId: `trace-${i % 10}`,
    principal: i % 3 === 0 ? 'bob@example.test' : 'alice@example.test',
    namespace: box.namespace,
    customHeaders: {'x-sequence': String(i)},
    body: Buffer.from(`body ${i}`),
    ...over,
  }
}

const q = (over: Partial<MailboxQuery> = {}): MailboxQuery => ({topics: [], principals: [], limit: 1000, offset: 0, ...over})
const ids = (r: {events: {messageId: string}[]}) => r.events.map((e) => e.messageId)
const expected = (pick: (i: number) => boolean, n = 100) => Array.from({length: n}, (_, i) => n - 1 - i).filter(pick).map((i) => event(i).messageId)

describe.each(['postgres', 'sqlite', 'memstore'])('mailbox store: %s', (name) => {
  const store = () => stores[name]!

  it('stores each message once, however often it is written', async () => {
    expect(await store().write(box, Array.from({length: 100}, (_, i) => event(i)))).toBe(100)
    expect(await store().write(box, [event(5), event(99), event(100)])).toBe(1)
    expect(await store().write(box, [])).toBe(0)
    expect(await store().prune(box, new Date(T0 + 100_000))).toBe(100)
    expect(await store().prune(box, new Date(T0 + 101_000))).toBe(1)
    expect((await store().query(box, q())).events).toEqual([])
    await store().write(box, Array.from({length: 100}, (_, i) => event(i)))
  })

  it('answers newest first, by time range, topics, principals and correlation id', async () => {
    expect(ids(await store().query(box, q()))).toEqual(expected(() => true))
    expect(ids(await store().query(box, q({start: new Date(T0 + 10_000), end: new Date(T0 + 20_000)})))).toEqual(expected((i) => i >= 10 && i < 20))
    expect(ids(await store().query(box, q({topics: ['orders']})))).toEqual(expected((i) => i % 2 === 0))
    expect(ids(await store().query(box, q({topics: ['orders', 'payments', 'nothing']})))).toEqual(expected(() => true))
    expect(ids(await store().query(box, q({principals: ['bob@example.test']})))).toEqual(expected((i) => i % 3 === 0))
    expect(ids(await store().query(box, q({correlationId: 'trace-7'})))).toEqual(expected((i) => i % 10 === 7))
    expect(ids(await store().query(box, q({topics: ['payments'], principals: ['bob@example.test'], start: new Date(T0 + 50_000)})))).toEqual(expected((i) => i % 2 === 1 && i % 3 === 0 && i >= 50))
    expect(ids(await store().query(box, q({correlationId: 'nobody'})))).toEqual([])
  })

  it('pages with limit and offset, and says whether there is more', async () => {
    const first = await store().query(box, q({limit: 30}))
    const last = await store().query(box, q({limit: 30, offset: 90}))
    expect([ids(first).length, first.hasMore, ids(last), last.hasMore]).toEqual([30, true, expected((i) => i < 10), false])
    expect((await store().query(box, q({limit: 10, offset: 90}))).hasMore).toBe(false)
    // Equal timestamps: ordered by message id, so pages never overlap.
    const tied = {namespace: box.namespace, pattern: 'tied'}
    await store().write(tied, ['b', 'c', 'a'].map((id) => event(0, {messageId: id})))
    const pages = [await store().query(tied, q({limit: 2})), await store().query(tied, q({limit: 2, offset: 2}))]
    expect(pages.map(ids)).toEqual([['c', 'b'], ['a']])
  })

  it('returns every field, and the body through bodies() and get()', async () => {
    const binary = event(200, {messageId: 'bin', body: new Uint8Array([0, 255, 10, 128]), encryption: 'aes-256-gcm', customHeaders: {'x-a': 'é', 'trace-id': '1'}})
    await store().write(box, [binary])
    const {body, ...rest} = binary
    const withoutBody = (await store().query(box, q({limit: 1}))).events[0]
    expect(withoutBody).toEqual({...rest, bodyBytes: 4})
    expect(await store().bodies(box, ['bin', 'missing'])).toEqual(new Map([['bin', body]]))
    expect(await store().bodies(box, [])).toEqual(new Map())
    expect(await store().bodies({...box, pattern: 'elsewhere'}, ['bin'])).toEqual(new Map())
    const side = {...box, pattern: 'bodies'}
    await store().write(side, [binary, event(100, {messageId: 'other', body: new Uint8Array([7])})])
    expect(await store().bodies(side, ['bin', 'other'])).toEqual(new Map([['bin', body], ['other', new Uint8Array([7])]]))
    expect(await store().get(box, 'bin')).toEqual({...rest, bodyBytes: 4, body})
    expect(await store().get(box, 'missing')).toBeUndefined()
  })

  it('keeps mailboxes apart: another namespace, another pattern', async () => {
    const other = [{namespace: 'team-beta', pattern: 'archive'}, {namespace: box.namespace, pattern: 'audit'}]
    for (const o of other) {
      expect(await store().get(o, event(1).messageId)).toBeUndefined()
      expect((await store().query(o, q())).events).toEqual([])
      expect(await store().write(o, [event(1)])).toBe(1)
      expect(await store().prune(o, new Date(T0 + 1_000_000))).toBe(1)
    }
    expect(await store().get(box, event(1).messageId)).toMatchObject({messageId: event(1).messageId})
  })

  it('prunes what is older than the cut-off only', async () => {
    expect(await store().prune(box, new Date(T0 + 50_000))).toBe(50)
    expect(ids(await store().query(box, q()))).toEqual(['bin', ...expected((i) => i >= 50)])
    expect(await store().prune(box, new Date(T0 + 50_000))).toBe(0)
  })
})

describe('memstore mailbox bounds', () => {
  it('drops the oldest stored events beyond its limits', async () => {
    const store = new MemoryMailboxStore({events: 5, bytes: 1_000_000})
    await store.write(box, Array.from({length: 8}, (_, i) => event(i)))
    expect(ids(await store.query(box, q()))).toEqual(expected((i) => i >= 3, 8))
    const small = new MemoryMailboxStore({events: 100, bytes: 600})
    await small.write(box, [event(1, {body: new Uint8Array(400)}), event(2, {body: new Uint8Array(400)})])
    expect(ids(await small.query(box, q()))).toEqual([event(2).messageId])
  })
})
