import {create} from '@bufbuild/protobuf'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {Principal} from '../../controlplane/authn.js'
import {BackendSchema, BackendType} from '../../gen/prism/admin/v1/resources_pb.js'
import {take, text} from '../../../test/helpers/subscriptions.js'
import {PrismError} from '../../errors.js'
import {connect} from '../drivers/memstore.js'
import type {BackendConnection, Subscription} from '../drivers/types.js'
import {scopeKey} from '../isolation.js'
import type {Route, RoutingTable} from '../routing.js'
import {idleTimeoutMs} from './config.js'
import {SessionManager} from './manager.js'
import {SessionStore} from './store.js'
import {markerKey, recordKey, recordPrefix, sessionId} from './records.js'

const NS = 'team-alpha'
const route = (settings: Record<string, string> = {idleTimeout: '10s'}): Route => ({
  namespace: NS,
  patterns: [
    {name: 'sessions', type: 'session-manager', sessionAware: false, settings, slots: {'session-store': 'store', 'session-events': 'store'}, vaultPaths: {}},
    {name: 'cache', type: 'keyvalue', sessionAware: true, settings: {}, slots: {'kv-store': 'store'}, vaultPaths: {}},
  ],
})
const alice: Principal = {name: 'alice@example.test', subject: 'alice', email: 'alice@example.test', groups: ['team'], roles: ['viewer'], expiresAt: 0}

let backend: BackendConnection
let clock: number
let current: Route
const managers: SessionManager[] = []

/** A proxy's session manager; several share the one memstore backend as proxies share a Redis. */
function proxy(): SessionManager {
  const m = new SessionManager({connections: async () => backend, table: () => ({routes: new Map([[NS, current]])}) as unknown as RoutingTable, log: () => {}, now: () => clock})
  managers.push(m)
  return m
}

async function events(type: string): Promise<Subscription> {
  return backend.messaging!.subscribe(`${NS}._prism.${type}`, {start: 'latest', ackWaitSeconds: 30})
}

beforeEach(async () => {
  backend = await connect(create(BackendSchema, {name: 'store', type: BackendType.MEMSTORE, config: {case: 'memstore', value: {}}}), {log: () => {}})
  clock = 1_000_000
  current = route()
  alice.expiresAt = clock + 3_600_000
})

afterEach(async () => {
  for (const m of managers.splice(0)) m.stop()
  await backend.close()
})

describe('session ids and keys', () => {
  it('are derived from namespace and token, never contain the token, and cannot collide with data keys', () => {
    const token = 'header.payload.signature'
    expect(sessionId(NS, token)).toBe(sessionId(NS, token))
    expect(sessionId(NS, token)).toMatch(/^[0-9a-f]{32}$/)
    expect(sessionId('other-ns', token)).not.toBe(sessionId(NS, token))
    expect(sessionId(NS, 'header.payloadx.signature')).not.toBe(sessionId(NS, token))
    // The signature is left out: base64url decoding accepts several spellings of one signature (unused low bits of
    // the last character, padding), and a killed token respelt must still be the killed session.
    expect(sessionId(NS, 'header.payload.signaturf')).toBe(sessionId(NS, token))
    expect(sessionId(NS, 'header.payload.signature==')).toBe(sessionId(NS, token))
    // Scoped data keys start with a namespace name (a letter); session keys with "_".
    for (const key of [recordKey(NS, 'id'), markerKey(NS, 'id')]) expect(key.startsWith(scopeKey(NS, ''))).toBe(false)
    expect(recordKey('team-alpha-2', 'id').startsWith(recordPrefix(NS))).toBe(false)
  })

  it('idleTimeout is a duration, or a FAILED_PRECONDITION naming the namespace', () => {
    expect(idleTimeoutMs('90s', NS)).toBe(90_000)
    expect(idleTimeoutMs('2', NS)).toBe(2000)
    expect(idleTimeoutMs(undefined, NS)).toBeUndefined()
    expect(() => idleTimeoutMs('soon', NS)).toThrow(/namespace team-alpha has settings.idleTimeout "soon"/)
  })
})

describe('the session manager', () => {
  it('starts a session on the first call, announces it once, and refreshes last seen at most every quarter idle timeout', async () => {
    const started = await events('session.started')
    const a = proxy()
    await a.admit(current, alice, 'Bearer tok-1')
    const [event] = await take(started, 1)
    const body = JSON.parse(text(event!))
    expect(body).toMatchObject({type: 'session.started', id: sessionId(NS, 'tok-1'), namespace: NS, principal: 'alice@example.test', subject: 'alice', groups: ['team']})
    expect(event!.metadata['prism-content-type']).toBe('application/json')

    const [session] = await proxy().list()
    expect(session).toMatchObject({id: sessionId(NS, 'tok-1'), startedAt: clock, lastSeenAt: clock, expiresAt: clock + 10_000, tokenExpiresAt: alice.expiresAt})
    clock += 1000
    await a.admit(current, alice, 'Bearer tok-1')
    expect((await a.list())[0]!.lastSeenAt).toBe(clock - 1000)
    clock += 2000
    await a.admit(current, alice, 'bearer  tok-1')
    await new Promise((r) => setTimeout(r, 10))
    expect((await a.list())[0]).toMatchObject({lastSeenAt: clock, expiresAt: clock + 10_000, startedAt: clock - 3000})
    // No second session.started for the same token.
    await backend.messaging!.publish({topic: `${NS}._prism.session.started`, payload: new Uint8Array(), metadata: {sentinel: '1'}})
    expect((await take(started, 1))[0]!.metadata.sentinel).toBe('1')
    await started.close()
  })

  it('never outlives the token, and refuses a token that has already expired', async () => {
    current = route({})
    alice.expiresAt = clock + 5000
    const a = proxy()
    await a.admit(current, alice, 'Bearer tok-1')
    expect((await a.list())[0]!.expiresAt).toBe(clock + 5000)
    clock += 5000
    await expect(a.admit(current, alice, 'Bearer tok-1')).rejects.toMatchObject({code: 'UNAUTHENTICATED'})
  })

  it('expires idle sessions: of two proxies sweeping, one removes each and it is announced once', async () => {
    const ended = await events('session.ended')
    const [a, b] = [proxy(), proxy()]
    await a.admit(current, alice, 'Bearer tok-1')
    await a.admit(current, {...alice, subject: 'bob', name: 'bob'}, 'Bearer tok-2')
    clock += 10_000
    expect(await a.list()).toEqual([])
    const removed = await Promise.all([a.sweep(current), b.sweep(current)])
    expect(removed[0] + removed[1]).toBe(2)
    const got = (await take(ended, 2)).map((m) => JSON.parse(text(m)))
    expect(got.map((e) => [e.subject, e.reason])).toEqual(expect.arrayContaining([['alice', 'expired'], ['bob', 'expired']]))
    expect(await Promise.all([a.sweep(current), b.sweep(current)])).toEqual([0, 0])
    // A later call with a token that is still valid starts a new session.
    await b.admit(current, alice, 'Bearer tok-1')
    expect((await a.list()).map((s) => s.startedAt)).toEqual([clock])
    await ended.close()
  })

  it('kill removes the session, announces it, and every proxy refuses the token afterwards (a new token is a new session)', async () => {
    const ended = await events('session.ended')
    const [a, b] = [proxy(), proxy()]
    await a.admit(current, alice, 'Bearer tok-1')
    const found = await b.find(sessionId(NS, 'tok-1'))
    await b.end(found, 'killed', 'olga@example.test')
    expect(JSON.parse(text((await take(ended, 1))[0]!))).toMatchObject({type: 'session.ended', reason: 'killed', subject: 'alice'})
    for (const m of [a, b]) await expect(m.admit(current, alice, 'Bearer tok-1')).rejects.toMatchObject({code: 'UNAUTHENTICATED', message: expect.stringContaining('was killed by olga@example.test')})
    await expect(a.find(found.record.id)).rejects.toMatchObject({code: 'NOT_FOUND'})
    await a.admit(current, alice, 'Bearer tok-2')
    expect((await b.list()).map((s) => s.id)).toEqual([sessionId(NS, 'tok-2')])
    // A last-seen write that raced the kill puts the record back: it is not listed, and its expiry is not a second end.
    await new SessionStore(NS, backend.keyValue!).save(found.record, clock)
    expect((await b.list()).map((s) => s.id)).toEqual([sessionId(NS, 'tok-2')])
    clock += 11_000
    expect(await b.sweep(current)).toBe(1)
    const [next] = await take(ended, 1)
    expect(JSON.parse(text(next!))).toMatchObject({id: sessionId(NS, 'tok-2'), reason: 'expired'})
    await ended.close()
  })

  it('logout ends the calling token\'s session (logged_out) and refuses that token from then on', async () => {
    const ended = await events('session.ended')
    const a = proxy()
    await a.admit(current, alice, 'Bearer tok-1')
    await a.admit(current, alice, 'Bearer tok-2')
    const out = await a.logout(alice, 'Bearer tok-1')
    expect(out.map((s) => s.id)).toEqual([sessionId(NS, 'tok-1')])
    expect(JSON.parse(text((await take(ended, 1))[0]!))).toMatchObject({id: sessionId(NS, 'tok-1'), reason: 'logged_out'})
    await expect(a.admit(current, alice, 'Bearer tok-1')).rejects.toMatchObject({code: 'UNAUTHENTICATED', message: expect.stringContaining('logged out')})
    expect((await a.list()).map((s) => s.id)).toEqual([sessionId(NS, 'tok-2')])
    await ended.close()
  })

  it('names what is wrong with a namespace that cannot keep sessions', async () => {
    current = route({idleTimeout: 'later'})
    await expect(proxy().admit(current, alice, 'Bearer t')).rejects.toMatchObject({code: 'FAILED_PRECONDITION', message: expect.stringContaining('idleTimeout "later"')})
    current = {namespace: NS, patterns: [{name: 'sessions', type: 'session-manager', sessionAware: false, settings: {}, slots: {}, vaultPaths: {}}]}
    await expect(proxy().admit(current, alice, 'Bearer t')).rejects.toMatchObject({code: 'FAILED_PRECONDITION', message: expect.stringContaining('session-store slot')})
  })

  it('one namespace whose session store fails does not stop the others: found, logged out, and the failure named', async () => {
    const broken: Route = {...route(), namespace: 'team-beta', patterns: route().patterns.map((p) => ({...p, slots: Object.fromEntries(Object.keys(p.slots).map((k) => [k, 'down']))}))}
    const m = new SessionManager({
      connections: async (name) => {
        if (name === 'down') throw new PrismError('cannot reach backend down (redis at 10.0.0.9:6379): connect ECONNREFUSED', {code: 'UNAVAILABLE'})
        return backend
      },
      table: () => ({routes: new Map([[NS, current], ['team-beta', broken]])}) as unknown as RoutingTable,
      log: () => {},
      now: () => clock,
    })
    managers.push(m)
    await m.admit(current, alice, 'Bearer tok-1')
    expect((await m.find(sessionId(NS, 'tok-1'))).record.namespace).toBe(NS)
    // Not found among the namespaces that answered, while one did not: that is not NOT_FOUND.
    await expect(m.find('0'.repeat(32))).rejects.toMatchObject({code: 'UNAVAILABLE', message: expect.stringContaining('the session store of namespace team-beta failed'), details: [expect.stringContaining('ECONNREFUSED')]})
    await expect(m.list()).rejects.toMatchObject({code: 'UNAVAILABLE', hint: expect.stringContaining('--namespace')})
    expect((await m.list(NS)).map((r) => r.id)).toEqual([sessionId(NS, 'tok-1')])
    await expect(m.list('team-beta')).rejects.toMatchObject({code: 'UNAVAILABLE', message: expect.stringContaining('cannot reach backend down')})
    // Logged out where the store answered, and the one that did not is named.
    await expect(m.logout(alice, 'Bearer tok-1')).rejects.toMatchObject({code: 'UNAVAILABLE', message: expect.stringContaining('logging out')})
    await expect(m.admit(current, alice, 'Bearer tok-1')).rejects.toMatchObject({code: 'UNAUTHENTICATED'})
  })
})
