/**
 * What proxies get from the control plane, over real gRPC in-process: the proxy role (Watch in clear, leases, no
 * writes; nobody else sees a secret), and leases turning namespaces ACTIVE and back to PENDING, on both engines.
 */
import {afterAll, afterEach, beforeEach, describe, expect, it} from 'vitest'

import {clientFor, failure, jsonOf, kvNamespace, redis, roleAuthenticator, startServer, storeUrls, type Client} from '../../test/helpers/control-plane.js'
import {ApplyResult, WatchEventType, type WatchEvent} from '../gen/prism/admin/v1/control_plane_pb.js'
import {NamespacePhase} from '../gen/prism/admin/v1/resources_pb.js'
import type {RunningServer} from './server.js'

const urls = storeUrls()
afterAll(() => urls.cleanup())

const SECRET = 'static-pw-1'
const TOKEN = 'static-token-2'

/** The events of a watch up to and including SYNCED, then `more` live events. */
async function watchEvents(client: Client, more: number, whileWatching: () => Promise<void> = async () => {}): Promise<WatchEvent[]> {
  const stream = client.watch({proxyId: 'test'})
  const events: WatchEvent[] = []
  try {
    const iterator = stream[Symbol.asyncIterator]()
    for (;;) {
      const {value, done} = await iterator.next()
      if (done) throw new Error('watch ended early')
      events.push(value)
      if (value.type === WatchEventType.SYNCED) break
    }
    await whileWatching()
    for (let i = 0; i < more; i++) {
      const {value, done} = await iterator.next()
      if (done) throw new Error('watch ended early')
      events.push(value)
    }
    return events
  } finally {
    stream.cancel()
  }
}

describe.each(['sqlite', 'postgres'] as const)('proxies on %s', (engine) => {
  let server: RunningServer
  const clients: Client[] = []
  const as = (role: string) => {
    const client = clientFor(server, role)
    clients.push(client)
    return client
  }
  beforeEach(async () => {
    server = await startServer(await urls.fresh(engine), roleAuthenticator)
    const operator = as('operator')
    await operator.registerBackend({backend: redis('redis-a', {credentials: {source: {case: 'static', value: {username: 'svc', password: SECRET}}}})})
    await operator.createNamespace({
      namespace: kvNamespace('orders', {patterns: [{name: 'cache', type: 'keyvalue', requires: [{slot: 'kv-store', target: {case: 'backend', value: 'redis-a'}, credentials: {source: {case: 'static', value: {token: TOKEN}}}}]}]}),
    })
  })
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close()
    await server.shutdown(1000)
  })

  it('the proxy role watches with static credentials in clear; a viewer and an admin see REDACTED', async () => {
    let edits = 0
    const change = async () => {
      await as('operator').updateBackend({backend: redis('redis-a', {description: `live ${++edits}`, credentials: {source: {case: 'static', value: {username: 'svc', password: 'REDACTED'}}}})})
    }
    const proxy = await watchEvents(as('proxy'), 1, change)
    const backendPassword = (e: WatchEvent) => (e.resource.case === 'backend' ? e.resource.value.credentials?.source.value : undefined)
    expect(backendPassword(proxy[0]!)).toMatchObject({password: SECRET})
    expect(proxy[1]!.resource.case === 'namespace' && proxy[1]!.resource.value.patterns[0]!.requires[0]!.credentials?.source.value).toMatchObject({token: TOKEN})
    expect(proxy[3]).toMatchObject({type: WatchEventType.UPSERT, resource: {case: 'backend', value: {description: 'live 1'}}})
    expect(backendPassword(proxy[3]!)).toMatchObject({password: SECRET})

    for (const role of ['viewer', 'admin']) {
      const events = await watchEvents(as(role), 1, change)
      expect(events.map((e) => e.type)).toEqual([WatchEventType.UPSERT, WatchEventType.UPSERT, WatchEventType.SYNCED, WatchEventType.UPSERT])
      expect(backendPassword(events[0]!)).toMatchObject({password: 'REDACTED'})
      expect(jsonOf(events)).not.toMatch(new RegExp(`${SECRET}|${TOKEN}`))
    }
    // reads stay redacted for the proxy role too
    expect(jsonOf(await as('proxy').getBackend({name: 'redis-a'}))).not.toContain(SECRET)
    expect(jsonOf(await as('proxy').listNamespaces({}))).not.toContain(TOKEN)
  })

  it('the proxy role reads and holds leases but writes nothing; no other role may hold a lease', async () => {
    const proxy = as('proxy')
    expect((await proxy.getNamespace({name: 'orders'})).name).toBe('orders')
    expect(await proxy.whoAmI({})).toMatchObject({roles: ['proxy']})
    const writes = await Promise.all([proxy.createNamespace({namespace: kvNamespace('carts')}), proxy.deleteNamespace({name: 'orders'}), proxy.registerBackend({backend: redis('redis-b')})].map(failure))
    expect(writes.map((f) => f.code)).toEqual(['PERMISSION_DENIED', 'PERMISSION_DENIED', 'PERMISSION_DENIED'])
    expect((await failure(proxy.listAuditEvents({}))).code).toBe('PERMISSION_DENIED')
    for (const role of ['viewer', 'operator', 'admin']) {
      const refused = await failure(as(role).renewProxyLease({proxyId: 'proxy-1', namespaces: ['orders']}))
      expect(refused).toMatchObject({code: 'PERMISSION_DENIED', message: expect.stringContaining('RenewProxyLease needs the proxy role')})
      expect((await failure(as(role).releaseProxyLease({proxyId: 'proxy-1'}))).code).toBe('PERMISSION_DENIED')
    }
    expect((await as('viewer').getNamespace({name: 'orders'})).status?.phase).toBe(NamespacePhase.PENDING)
    // leases are not audited; the refused writes are
    expect((await as('admin').listAuditEvents({})).events.map((e) => e.action)).not.toContain('RenewProxyLease')
  })

  it('a lease makes its namespaces ACTIVE with the proxy ids; release makes them PENDING again', async () => {
    const operator = as('operator')
    await operator.createNamespace({namespace: kvNamespace('carts', {patterns: [{name: 'cache', type: 'keyvalue', requires: [{slot: 'kv-store', target: {case: 'backend', value: 'redis-a'}}]}]})})
    const proxy = as('proxy')
    const renewed = await proxy.renewProxyLease({proxyId: 'proxy-b', namespaces: ['orders', 'carts', 'not-there'], ttlSeconds: 60, endpoint: '10.0.0.2:50090', version: '0.1.0'})
    expect(renewed.ttlSeconds).toBe(60)
    expect(Number(renewed.expiresAt!.seconds) * 1000).toBeGreaterThan(Date.now() + 50_000)
    await proxy.renewProxyLease({proxyId: 'proxy-a', namespaces: ['orders']})
    const orders = await as('viewer').getNamespace({name: 'orders'})
    expect(orders.status).toMatchObject({phase: NamespacePhase.ACTIVE, servingProxies: ['proxy-a', 'proxy-b']})
    const listed = await as('viewer').listNamespaces({})
    expect(listed.namespaces.map((n) => [n.name, n.status?.phase, n.status?.servingProxies])).toEqual([
      ['carts', NamespacePhase.ACTIVE, ['proxy-b']],
      ['orders', NamespacePhase.ACTIVE, ['proxy-a', 'proxy-b']],
    ])
    // the default TTL
    expect((await proxy.renewProxyLease({proxyId: 'proxy-a', namespaces: ['orders']})).ttlSeconds).toBe(15)

    // status is server-assigned: what get returns applies back unchanged, phase and proxies included
    expect((await operator.applyNamespace({namespace: orders})).result).toBe(ApplyResult.UNCHANGED)

    await proxy.releaseProxyLease({proxyId: 'proxy-b'})
    expect((await as('viewer').getNamespace({name: 'carts'})).status).toMatchObject({phase: NamespacePhase.PENDING, servingProxies: []})
    expect((await as('viewer').getNamespace({name: 'orders'})).status?.servingProxies).toEqual(['proxy-a'])
    // releasing what is not held is fine
    await proxy.releaseProxyLease({proxyId: 'proxy-b'})
  })

  it('a lease that is not renewed lapses', async () => {
    await as('proxy').renewProxyLease({proxyId: 'proxy-short', namespaces: ['orders'], ttlSeconds: 60})
    expect((await as('viewer').getNamespace({name: 'orders'})).status?.phase).toBe(NamespacePhase.ACTIVE)
    // the last renewal, with a short TTL; then the proxy goes quiet
    await as('proxy').renewProxyLease({proxyId: 'proxy-short', namespaces: ['orders'], ttlSeconds: 1})
    const deadline = Date.now() + 5000
    let phase: NamespacePhase | undefined
    do {
      await new Promise((resolve) => setTimeout(resolve, 200))
      phase = (await as('viewer').getNamespace({name: 'orders'})).status?.phase
    } while (phase !== NamespacePhase.PENDING && Date.now() < deadline)
    expect(phase).toBe(NamespacePhase.PENDING)
  })

  it('refuses malformed leases with field violations', async () => {
    const proxy = as('proxy')
    const bad = await failure(proxy.renewProxyLease({proxyId: 'bad id/with slash', namespaces: ['orders', 'Not_A_Name'], ttlSeconds: 301}))
    expect(bad.code).toBe('INVALID_ARGUMENT')
    expect(bad.violations.map((v) => v.field)).toEqual(['proxyId', 'ttlSeconds', 'namespaces[1]'])
    const many = await failure(proxy.renewProxyLease({proxyId: 'proxy-a', namespaces: Array.from({length: 10_001}, (_, i) => `ns-${i}`)}))
    expect(many.violations).toEqual([{field: 'namespaces', description: 'at most 10000 namespaces per lease, got 10001'}])
    expect((await failure(proxy.renewProxyLease({proxyId: 'x'.repeat(129)}))).violations.map((v) => v.field)).toEqual(['proxyId'])
    expect((await failure(proxy.releaseProxyLease({proxyId: ''}))).code).toBe('INVALID_ARGUMENT')
    expect((await as('viewer').getNamespace({name: 'orders'})).status?.phase).toBe(NamespacePhase.PENDING)
  })
})
