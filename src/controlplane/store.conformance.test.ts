/**
 * One suite, both engines: every case runs against SQLite (a temp file) and a real PostgreSQL server
 * (test/helpers/postgres.ts: a throwaway cluster, or PRISM_TEST_POSTGRES_URL).
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startPostgres, type TestPostgres} from '../../test/helpers/postgres.js'
import type {PrismError} from '../errors.js'
import {openStore, type AuditRecord, type LabelCondition, type Row, type Store} from './store.js'

interface Engine {
  name: string
  setup(): Promise<void>
  teardown(): Promise<void>
  /** A URL for a fresh, empty store. */
  freshUrl(): Promise<string>
}

let sqliteDir = ''
let postgres: TestPostgres | undefined

const engines: Engine[] = [
  {
    name: 'sqlite',
    setup: async () => void (sqliteDir = mkdtempSync(join(tmpdir(), 'prism-store-'))),
    teardown: async () => rmSync(sqliteDir, {recursive: true, force: true}),
    freshUrl: async () => `sqlite://${join(sqliteDir, `${Math.random().toString(36).slice(2)}.db`)}`,
  },
  {
    name: 'postgres',
    setup: async () => void (postgres = await startPostgres()),
    teardown: async () => postgres?.stop(),
    freshUrl: async () => postgres!.createDatabase(),
  },
]

const audit = (name: string, action = 'CreateNamespace', outcome = 'OK'): AuditRecord => ({
  time: new Date(1_700_000_000_000),
  principal: 'alice@example.com',
  action,
  resourceKind: action.endsWith('Backend') ? 'Backend' : 'Namespace',
  resourceName: name,
  outcome,
  message: `${action} ${name}`,
})

const ns = (name: string, version: number, extra: Partial<Row> = {}): Row => ({
  name,
  version,
  data: new Uint8Array([version, ...Buffer.from(name)]),
  team: 'payments',
  labels: {},
  binds: [],
  ...extra,
})

/** key=value filters, as the control plane turns a request's label map into conditions. */
const equal = (labels: Record<string, string>): LabelCondition[] => Object.entries(labels).map(([key, value]) => ({key, values: [value], negate: false}))
const backend = (name: string, version: number, backendType = 1): Row => ({name, version, data: new Uint8Array([backendType, version]), labels: {}, backendType})

describe.each(engines)('store conformance: $name', (engine) => {
  const opened: Store[] = []
  async function fresh(): Promise<Store> {
    const store = await openStore(await engine.freshUrl())
    opened.push(store)
    return store
  }

  beforeAll(engine.setup)
  afterAll(async () => {
    for (const s of opened) await s.close().catch(() => {})
    await engine.teardown()
  })

  it('creates, reads, updates and deletes with compare-and-set', async () => {
    const store = await fresh()
    expect(await store.get('namespace', 'orders')).toBeUndefined()
    expect(await store.commit({kind: 'namespace', name: 'orders', expectedVersion: 0, row: ns('orders', 1)}, {}, audit('orders'))).toMatchObject({ok: true})
    const got = await store.get('namespace', 'orders')
    expect(got?.version).toBe(1)
    expect(Buffer.from(got!.data)).toEqual(Buffer.from(ns('orders', 1).data))

    // create over an existing name, and an update with a stale version, both conflict and write nothing
    expect(await store.commit({kind: 'namespace', name: 'orders', expectedVersion: 0, row: ns('orders', 1)}, {}, audit('orders'))).toEqual({ok: false, conflict: {actualVersion: 1}})
    expect(await store.commit({kind: 'namespace', name: 'orders', expectedVersion: 7, row: ns('orders', 8)}, {}, audit('orders', 'ApplyNamespace'))).toEqual({ok: false, conflict: {actualVersion: 1}})
    expect((await store.get('namespace', 'orders'))?.version).toBe(1)

    expect(await store.commit({kind: 'namespace', name: 'orders', expectedVersion: 1, row: ns('orders', 2)}, {}, audit('orders', 'ApplyNamespace'))).toMatchObject({ok: true})
    expect((await store.get('namespace', 'orders'))?.version).toBe(2)
    expect(await store.commit({kind: 'namespace', name: 'orders', expectedVersion: 1, row: null}, {}, audit('orders', 'DeleteNamespace'))).toEqual({ok: false, conflict: {actualVersion: 2}})
    expect(await store.commit({kind: 'namespace', name: 'orders', expectedVersion: 2, row: null}, {}, audit('orders', 'DeleteNamespace'))).toMatchObject({ok: true})
    expect(await store.get('namespace', 'orders')).toBeUndefined()
    // only the three successful writes were audited
    expect((await store.listAudit({limit: 10})).map((e) => e.action)).toEqual(['DeleteNamespace', 'ApplyNamespace', 'CreateNamespace'])
  })

  it('lists in name order with keyset pagination and filters by team, labels and type', async () => {
    const store = await fresh()
    const rows = [
      ns('ccc-ns', 1, {team: 'payments', labels: {env: 'prod', tier: 'gold'}}),
      ns('aaa-ns', 1, {team: 'payments', labels: {env: 'dev'}}),
      ns('bbb-ns', 1, {team: 'search', labels: {env: 'prod'}}),
      ns('ddd-ns', 1, {team: 'payments', labels: {env: 'prod', 'odd"key': 'x y'}}),
    ]
    for (const r of rows) await store.commit({kind: 'namespace', name: r.name, expectedVersion: 0, row: r}, {}, audit(r.name))
    const page1 = await store.list('namespace', {limit: 2})
    expect(page1.map((r) => r.name)).toEqual(['aaa-ns', 'bbb-ns'])
    const page2 = await store.list('namespace', {limit: 2, after: 'bbb-ns'})
    expect(page2.map((r) => r.name)).toEqual(['ccc-ns', 'ddd-ns'])
    expect(await store.list('namespace', {limit: 2, after: 'ddd-ns'})).toEqual([])
    expect((await store.list('namespace', {limit: 10, team: 'payments'})).map((r) => r.name)).toEqual(['aaa-ns', 'ccc-ns', 'ddd-ns'])
    expect((await store.list('namespace', {limit: 10, labels: equal({env: 'prod'})})).map((r) => r.name)).toEqual(['bbb-ns', 'ccc-ns', 'ddd-ns'])
    expect((await store.list('namespace', {limit: 10, team: 'payments', labels: equal({env: 'prod', tier: 'gold'})})).map((r) => r.name)).toEqual(['ccc-ns'])
    expect((await store.list('namespace', {limit: 10, labels: equal({'odd"key': 'x y'})})).map((r) => r.name)).toEqual(['ddd-ns'])
    expect(await store.list('namespace', {limit: 10, labels: equal({env: 'staging'})})).toEqual([])

    await store.commit({kind: 'backend', name: 'redis-b', expectedVersion: 0, row: backend('redis-b', 1, 1)}, {}, audit('redis-b', 'RegisterBackend'))
    await store.commit({kind: 'backend', name: 'nats-a', expectedVersion: 0, row: backend('nats-a', 1, 2)}, {}, audit('nats-a', 'RegisterBackend'))
    await store.commit({kind: 'backend', name: 'redis-a', expectedVersion: 0, row: backend('redis-a', 1, 1)}, {}, audit('redis-a', 'RegisterBackend'))
    expect((await store.list('backend', {limit: 10})).map((r) => r.name)).toEqual(['nats-a', 'redis-a', 'redis-b'])
    expect((await store.list('backend', {limit: 10, backendType: 1})).map((r) => r.name)).toEqual(['redis-a', 'redis-b'])
  })

  it('filters by any number of labels with a fixed set of statements', async () => {
    const store = await fresh()
    const labels = Object.fromEntries(Array.from({length: 40}, (_, i) => [`k${i}`, `v${i}`]))
    await store.commit({kind: 'namespace', name: 'all-labels', expectedVersion: 0, row: ns('all-labels', 1, {labels})}, {}, audit('all-labels'))
    await store.commit({kind: 'namespace', name: 'one-label', expectedVersion: 0, row: ns('one-label', 1, {labels: {k0: 'v0'}})}, {}, audit('one-label'))
    const first = (n: number) => Object.fromEntries(Object.entries(labels).slice(0, n))
    const names = async (filters: Record<string, string>) => (await store.list('namespace', {limit: 10, labels: equal(filters)})).map((r) => r.name)
    expect(await names(first(1))).toEqual(['all-labels', 'one-label'])
    const statements = store.preparedStatements
    for (let n = 2; n <= 40; n++) expect(await names(first(n))).toEqual(['all-labels'])
    // The key must carry that very value.
    expect(await names({k0: 'v1'})).toEqual([])
    expect(await names({k1: 'v0'})).toEqual([])
    // Far more filters than the server accepts still make one query (SQLite once failed past ~1,000: "Expression tree is too large").
    expect(await names({...labels, ...Object.fromEntries(Array.from({length: 2000}, (_, i) => [`x${i}`, 'y']))})).toEqual([])
    // SQLite keeps one prepared statement per SQL text: the number of filters must not make new ones.
    expect(store.preparedStatements).toBe(statements)
    if (engine.name === 'sqlite') expect(statements).toBeGreaterThan(0)
  })

  it('evaluates set-based conditions (in, notin, exists, does not exist) on namespaces and backends', async () => {
    const store = await fresh()
    const rows = [ns('aaa-ns', 1, {labels: {env: 'dev', tier: 'gold'}}), ns('bbb-ns', 1, {labels: {env: 'prod'}}), ns('ccc-ns', 1, {labels: {tier: 'silver'}}), ns('ddd-ns', 1)]
    for (const r of rows) await store.commit({kind: 'namespace', name: r.name, expectedVersion: 0, row: r}, {}, audit(r.name))
    const names = async (...labels: LabelCondition[]) => (await store.list('namespace', {limit: 10, labels})).map((r) => r.name)
    expect(await names({key: 'env', values: ['dev', 'qa'], negate: false})).toEqual(['aaa-ns'])
    // notin and != also match rows without the key, as kubectl's do.
    expect(await names({key: 'env', values: ['dev'], negate: true})).toEqual(['bbb-ns', 'ccc-ns', 'ddd-ns'])
    expect(await names({key: 'tier', negate: false})).toEqual(['aaa-ns', 'ccc-ns'])
    expect(await names({key: 'tier', negate: true})).toEqual(['bbb-ns', 'ddd-ns'])
    expect(await names({key: 'env', negate: false}, {key: 'tier', values: ['gold', 'silver'], negate: true})).toEqual(['bbb-ns'])
    expect(await names({key: 'env', values: ['dev', 'prod'], negate: false}, {key: 'env', values: ['prod'], negate: true})).toEqual(['aaa-ns'])
    // A value is never a key: "dev" is no label of any row.
    expect(await names({key: 'dev', negate: false})).toEqual([])

    await store.commit({kind: 'backend', name: 'redis-a', expectedVersion: 0, row: {...backend('redis-a', 1), labels: {env: 'dev'}}}, {}, audit('redis-a', 'RegisterBackend'))
    await store.commit({kind: 'backend', name: 'redis-b', expectedVersion: 0, row: backend('redis-b', 1)}, {}, audit('redis-b', 'RegisterBackend'))
    expect((await store.list('backend', {limit: 10, labels: [{key: 'env', values: ['dev'], negate: false}]})).map((r) => r.name)).toEqual(['redis-a'])
    expect((await store.list('backend', {limit: 10, labels: [{key: 'env', negate: true}]})).map((r) => r.name)).toEqual(['redis-b'])
  })

  it('guards: the backends a namespace binds must exist, and a bound backend cannot be deleted', async () => {
    const store = await fresh()
    await store.commit({kind: 'backend', name: 'redis-a', expectedVersion: 0, row: backend('redis-a', 1)}, {}, audit('redis-a', 'RegisterBackend'))
    expect(await store.commit({kind: 'namespace', name: 'orders', expectedVersion: 0, row: ns('orders', 1, {binds: ['redis-a', 'gone-b']})}, {}, audit('orders')))
      .toEqual({ok: false, missingBackends: ['gone-b']})
    expect(await store.get('namespace', 'orders')).toBeUndefined()
    await store.commit({kind: 'namespace', name: 'orders', expectedVersion: 0, row: ns('orders', 1, {binds: ['redis-a']})}, {}, audit('orders'))
    await store.commit({kind: 'namespace', name: 'carts', expectedVersion: 0, row: ns('carts', 1, {binds: ['redis-a']})}, {}, audit('carts'))
    expect(await store.namespacesBinding('redis-a')).toEqual(['carts', 'orders'])
    expect(await store.commit({kind: 'backend', name: 'redis-a', expectedVersion: 1, row: null}, {unbound: true}, audit('redis-a', 'DeleteBackend'))).toEqual({ok: false, boundBy: ['carts', 'orders']})

    // rebinding and deleting namespaces updates the bindings
    await store.commit({kind: 'namespace', name: 'orders', expectedVersion: 1, row: ns('orders', 2, {binds: []})}, {}, audit('orders', 'ApplyNamespace'))
    await store.commit({kind: 'namespace', name: 'carts', expectedVersion: 1, row: null}, {}, audit('carts', 'DeleteNamespace'))
    expect(await store.namespacesBinding('redis-a')).toEqual([])
    expect(await store.commit({kind: 'backend', name: 'redis-a', expectedVersion: 1, row: null}, {unbound: true}, audit('redis-a', 'DeleteBackend'))).toMatchObject({ok: true})
    expect(await store.get('backend', 'redis-a')).toBeUndefined()
  })

  it('keeps an audit log: newest first, paginated, filtered by resource', async () => {
    const store = await fresh()
    await store.commit({kind: 'namespace', name: 'orders', expectedVersion: 0, row: ns('orders', 1)}, {}, audit('orders'))
    await store.appendAudit(audit('orders', 'DeleteNamespace', 'PERMISSION_DENIED'))
    await store.appendAudit(audit('carts', 'CreateNamespace', 'INVALID_ARGUMENT'))
    const all = await store.listAudit({limit: 10})
    expect(all.map((e) => [e.resourceName, e.outcome])).toEqual([['carts', 'INVALID_ARGUMENT'], ['orders', 'PERMISSION_DENIED'], ['orders', 'OK']])
    expect(all[2]).toMatchObject({principal: 'alice@example.com', action: 'CreateNamespace', resourceKind: 'Namespace', message: 'CreateNamespace orders', time: new Date(1_700_000_000_000)})
    const first = await store.listAudit({limit: 2})
    const rest = await store.listAudit({limit: 2, before: first[1]!.id})
    expect([...first, ...rest].map((e) => e.id)).toEqual(all.map((e) => e.id))
    expect((await store.listAudit({limit: 10, resourceName: 'orders'})).map((e) => e.outcome)).toEqual(['PERMISSION_DENIED', 'OK'])
  })

  it('audit: filters by principal and time, counts that only grow, pruning by age', async () => {
    const store = await fresh()
    const at = (ms: number, principal: string, name: string): AuditRecord => ({...audit(name), time: new Date(ms), principal})
    await store.appendAudit(at(1_000, 'alice@example.com', 'old'))
    const refused = await store.appendAudit({...at(2_000, 'dave@example.com', 'spam'), outcome: 'PERMISSION_DENIED', count: 1})
    await store.appendAudit(at(3_000, 'alice@example.com', 'new'))
    expect((await store.listAudit({limit: 10, principal: 'alice@example.com'})).map((e) => e.resourceName)).toEqual(['new', 'old'])
    expect((await store.listAudit({limit: 10, since: new Date(2_000)})).map((e) => e.resourceName)).toEqual(['new', 'spam'])
    expect((await store.listAudit({limit: 10, principal: 'alice@example.com', since: new Date(2_000)})).map((e) => e.resourceName)).toEqual(['new'])
    expect((await store.listAudit({limit: 10})).map((e) => e.count)).toEqual([1, 1, 1])
    await store.setAuditCount(refused, 40)
    // Counts written out of order (replicas, concurrent flushes) never go back.
    await store.setAuditCount(refused, 7)
    expect((await store.listAudit({limit: 10, principal: 'dave@example.com'}))[0]).toMatchObject({count: 40, outcome: 'PERMISSION_DENIED'})
    expect(await store.pruneAudit(new Date(2_500))).toBe(2)
    expect((await store.listAudit({limit: 10})).map((e) => e.resourceName)).toEqual(['new'])
    expect(await store.pruneAudit(new Date(2_500))).toBe(0)
  })

  it('lets exactly one of many concurrent writers with the same expected version win', async () => {
    const store = await fresh()
    const creates = await Promise.all(Array.from({length: 8}, () => store.commit({kind: 'namespace', name: 'race', expectedVersion: 0, row: ns('race', 1)}, {}, audit('race'))))
    expect(creates.filter((r) => r.ok)).toHaveLength(1)
    const updates = await Promise.all(Array.from({length: 8}, (_, i) => store.commit({kind: 'namespace', name: 'race', expectedVersion: 1, row: ns('race', 2, {team: `team-${i}`})}, {}, audit('race', 'ApplyNamespace'))))
    expect(updates.filter((r) => r.ok)).toHaveLength(1)
    expect(updates.filter((r) => !r.ok)).toEqual(Array.from({length: 7}, () => ({ok: false, conflict: {actualVersion: 2}})))
    expect((await store.listAudit({limit: 100})).length).toBe(2)
  })

  it('leases: who serves which namespace, replaced on renewal, gone on release or expiry', async () => {
    const store = await fresh()
    const lease = (proxyId: string, namespaces: string[], ttlMs = 60_000) => ({proxyId, namespaces, ttlMs, endpoint: `${proxyId}:50090`, version: '0.1.0'})
    expect(await store.servingProxies(['orders'])).toEqual(new Map())
    const before = Date.now()
    const expires = await store.renewLease(lease('proxy-b', ['orders', 'carts']))
    expect(expires.getTime()).toBeGreaterThanOrEqual(before + 59_000)
    await store.renewLease(lease('proxy-a', ['orders']))
    expect(await store.servingProxies(['orders', 'carts', 'unknown'])).toEqual(new Map([['carts', ['proxy-b']], ['orders', ['proxy-a', 'proxy-b']]]))
    expect(await store.servingProxies([])).toEqual(new Map())

    // a renewal replaces the namespaces the previous one named
    await store.renewLease(lease('proxy-b', ['search']))
    expect(await store.servingProxies(['orders', 'carts', 'search'])).toEqual(new Map([['orders', ['proxy-a']], ['search', ['proxy-b']]]))

    expect(await store.releaseLease('proxy-a')).toBe(true)
    expect(await store.releaseLease('proxy-a')).toBe(false)
    expect(await store.servingProxies(['orders', 'search'])).toEqual(new Map([['search', ['proxy-b']]]))

    // an expired lease serves nothing, and a later renewal prunes it (renewing it again brings it back)
    await store.renewLease(lease('proxy-c', ['orders'], 50))
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(await store.servingProxies(['orders'])).toEqual(new Map())
    await store.renewLease(lease('proxy-d', ['carts']))
    expect(await store.releaseLease('proxy-c')).toBe(false)
    await store.renewLease(lease('proxy-c', ['orders']))
    expect(await store.servingProxies(['orders'])).toEqual(new Map([['orders', ['proxy-c']]]))
  })

  it("getNamespace: the row with its serving proxies, sorted, from unexpired leases only", async () => {
    const store = await fresh()
    const lease = (proxyId: string, namespaces: string[], ttlMs = 60_000) => ({proxyId, namespaces, ttlMs, endpoint: '', version: ''})
    expect(await store.getNamespace('orders')).toBeUndefined()
    // A lease may name a namespace that does not exist (yet): still not found.
    await store.renewLease(lease('proxy-b', ['orders']))
    expect(await store.getNamespace('orders')).toBeUndefined()
    await store.commit({kind: 'namespace', name: 'orders', expectedVersion: 0, row: ns('orders', 1)}, {}, audit('orders'))
    await store.commit({kind: 'namespace', name: 'carts', expectedVersion: 0, row: ns('carts', 1)}, {}, audit('carts'))
    await store.renewLease(lease('proxy-a', ['orders', 'carts']))
    await store.renewLease(lease('proxy-c', ['orders'], 50))
    await new Promise((resolve) => setTimeout(resolve, 150))
    const orders = await store.getNamespace('orders')
    expect(orders?.row.version).toBe(1)
    expect(Buffer.from(orders!.row.data)).toEqual(Buffer.from(ns('orders', 1).data))
    expect(orders?.serving).toEqual(['proxy-a', 'proxy-b'])
    expect((await store.getNamespace('carts'))?.serving).toEqual(['proxy-a'])
    await store.releaseLease('proxy-a')
    expect((await store.getNamespace('carts'))?.serving).toEqual([])
  })

  it('leases: many namespaces in one lease, and one query for many namespaces', async () => {
    const store = await fresh()
    const names = Array.from({length: 10_000}, (_, i) => `ns-${String(i).padStart(5, '0')}`)
    await store.renewLease({proxyId: 'proxy-a', namespaces: names, ttlMs: 60_000, endpoint: '', version: ''})
    await store.renewLease({proxyId: 'proxy-b', namespaces: names.slice(0, 10), ttlMs: 60_000, endpoint: '', version: ''})
    const serving = await store.servingProxies(names.slice(0, 1000))
    expect(serving.size).toBe(1000)
    expect(serving.get('ns-00009')).toEqual(['proxy-a', 'proxy-b'])
    expect(serving.get('ns-00010')).toEqual(['proxy-a'])
  })

  it('migrates once: reopening (or two replicas opening at once) keeps the data', async () => {
    const url = await engine.freshUrl()
    const [a, b] = await Promise.all([openStore(url), openStore(url)])
    opened.push(a, b)
    await a.commit({kind: 'backend', name: 'redis-a', expectedVersion: 0, row: backend('redis-a', 1)}, {}, audit('redis-a', 'RegisterBackend'))
    expect((await b.get('backend', 'redis-a'))?.version).toBe(1)
    await a.close()
    const c = await openStore(url)
    opened.push(c)
    expect((await c.get('backend', 'redis-a'))?.version).toBe(1)
  })
})

describe('store failures', () => {
  it('reports an unreachable PostgreSQL as UNAVAILABLE without the password', async () => {
    const err = await openStore('postgres://prism:hunter2@127.0.0.1:1/prism').catch((e: unknown) => e)
    expect(err).toMatchObject({code: 'UNAVAILABLE'})
    expect((err as Error).message).toContain('127.0.0.1:1')
    expect((err as Error).message).not.toContain('hunter2')
  })

  it('names a SQLite file that is not a database, with a hint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prism-notdb-'))
    try {
      const path = join(dir, 'garbage.db')
      writeFileSync(path, Buffer.alloc(8192, 0x5a))
      const err = await openStore(`sqlite://${path}`).catch((e: unknown) => e)
      expect(err).toMatchObject({code: 'FAILED_PRECONDITION', message: `cannot open the SQLite store ${path}: file is not a database`})
      expect((err as PrismError).hint).toContain('--store')
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('refuses a relative SQLite path and an unknown scheme', async () => {
    await expect(openStore('sqlite://relative/path.db')).rejects.toMatchObject({code: 'INVALID_ARGUMENT'})
    await expect(openStore('mysql://u:secret@host/db')).rejects.toThrow(/^Unsupported store URL: mysql:\/\/u:\[REDACTED\]@host\/db$/)
  })
})
