/**
 * Sessions end to end: two proxies share the sessions of session-aware patterns through a real Redis (the
 * session-store slot), announce them on a real NATS (the session-events slot, seen here by a plain NATS
 * subscriber), expire idle ones, and refuse killed or logged-out tokens on both; `prismctl session list|get|kill`
 * and `logout` drive it, with real tokens from the OIDC test provider.
 */
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import * as grpc from '@grpc/grpc-js'
import {timestampMs} from '@bufbuild/protobuf/wkt'

import {createServiceClient} from '../../src/api/grpc-service.js'
import {readTokens} from '../../src/auth/token-store.js'
import {SessionStorePattern} from '../../src/gen/prism/patterns/v1/session_store_pb.js'
import {startAdminServer, type AdminServer} from '../helpers/admin-server.js'
import {runCli, tempDir, type CliResult} from '../helpers/cli.js'
import {startNats, type TestNats} from '../helpers/nats.js'
import {CLIENT_ID, idTokenFor, startTestProvider, type TestProvider} from '../helpers/oidc-provider.js'
import {startProxyServer, waitReady, type ProxyServer} from '../helpers/proxy-server.js'
import {startRedis, type TestRedis} from '../helpers/redis.js'
import {eventually} from '../helpers/subscriptions.js'

type Nats = Awaited<ReturnType<(typeof import('@nats-io/transport-node'))['connect']>>

let op: TestProvider
let admin: AdminServer
let proxies: ProxyServer[]
let redis: TestRedis
let nats: TestNats
let nc: Nats
const tokens: Record<string, string> = {}
/** Every session event received, per NATS subject, in order. */
const events = new Map<string, Record<string, unknown>[]>()

/** The NATS subject of a scoped topic as the proxy's NATS driver names it ("." inside a topic is _2E). */
const subjectOf = (namespace: string, type: 'started' | 'ended') => `prism.${namespace}_2E_5Fprism_2Esession_2E${type}`

function cli(who: string | undefined, args: string[], via = 0, env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runCli(args, {env: {PRISM_ADMIN_ENDPOINT: admin.endpoint, PRISM_PROXY_ENDPOINT: proxies[via]!.endpoint, PRISM_TOKEN: who ? tokens[who] : undefined, ...env}})
}

async function ok(who: string, args: string[], via = 0): Promise<CliResult> {
  const r = await cli(who, args, via)
  expect(r.code, r.stderr).toBe(0)
  return r
}

async function sessions(who: string, via: number, namespace?: string): Promise<Record<string, string>[]> {
  return JSON.parse((await ok(who, ['session', 'list', '-o', 'json', ...(namespace ? ['--namespace', namespace] : [])], via)).stdout).sessions
}

/** Waits (bounded) for the events of a subject to satisfy `check`. */
function received(subject: string, check: (seen: Record<string, unknown>[]) => boolean): Promise<Record<string, unknown>[]> {
  return eventually(async () => {
    const seen = events.get(subject) ?? []
    if (!check(seen)) throw new Error(`events on ${subject} so far: ${JSON.stringify(seen)}`)
    return seen
  })
}

beforeAll(async () => {
  op = await startTestProvider()
  for (const user of ['alice', 'bob', 'carol', 'paul'] as const) tokens[user] = await idTokenFor(op.issuer, user)
  redis = await startRedis()
  nats = await startNats({jetstream: false})
  const {connect} = await import('@nats-io/transport-node')
  nc = await connect({servers: nats.url})
  for (const ns of ['sessions-long', 'sessions-idle']) {
    for (const type of ['started', 'ended'] as const) {
      const subject = subjectOf(ns, type)
      events.set(subject, [])
      const sub = nc.subscribe(subject)
      void (async () => {
        for await (const m of sub) events.get(subject)!.push(JSON.parse(m.string()))
      })()
    }
  }
  await nc.flush()
  admin = await startAdminServer({args: ['--issuer', op.issuer, '--audience', CLIENT_ID]})
  const auth = ['--issuer', op.issuer, '--audience', CLIENT_ID]
  proxies = await Promise.all([0, 1].map(() => startProxyServer({adminEndpoint: admin.endpoint, args: auth, env: {PRISM_TOKEN: tokens.paul}})))
  const manifest = join(tempDir('prism-sessions-'), 'resources.yaml')
  const namespace = (name: string, idleTimeout: string, auth = '') => `---
kind: Namespace
name: ${name}
team: platform-team
${auth}patterns:
  - name: sessions
    type: session-manager
    settings: {idleTimeout: "${idleTimeout}"}
    requires: [{slot: session-store, backend: redis-sessions}]
    produces: [{slot: session-events, backend: nats-events}]
  - name: cache
    type: keyvalue
    sessionAware: true
    requires: [{slot: kv-store, backend: redis-sessions}]
`
  writeFileSync(
    manifest,
    `kind: Backend
name: redis-sessions
type: redis
redis: {address: "${redis.address}"}
---
kind: Backend
name: nats-events
type: nats
nats: {url: "${nats.url}", jetstream: false}
${namespace('sessions-long', '10m')}${namespace('sessions-idle', '1s')}${namespace('sessions-admins', '10m', 'auth: {enabled: true, provider: oidc, allowedGroups: [admins]}\n')}---
kind: Namespace
name: plain-kv
team: platform-team
patterns:
  - name: cache
    type: keyvalue
    requires: [{slot: kv-store, backend: redis-sessions}]
`,
  )
  const applied = await cli('bob', ['apply', '-f', manifest])
  expect(applied.code, applied.stderr).toBe(0)
  await Promise.all(proxies.map((p) => waitReady(p)))
}, 60_000)

afterAll(async () => {
  await Promise.all((proxies ?? []).map((p) => p.stop()))
  await admin?.stop()
  await nc?.close()
  await nats?.stop()
  await redis?.stop()
  await op?.close()
})

describe('sessions across two proxies', () => {
  it('a session-aware call without a token is UNAUTHENTICATED and starts nothing', async () => {
    const none = await cli(undefined, ['kv', 'set', 'sessions-long', 'k', 'v'])
    expect(none.code).toBe(1)
    expect(none.stderr).toContain('not authenticated to the proxy')
    expect(await sessions('bob', 1)).toEqual([])
  })

  it('a call on proxy A starts a session that proxy B lists, announced once on session-events; other patterns keep none', async () => {
    await ok('carol', ['kv', 'set', 'sessions-long', 'k', 'v'], 0)
    await ok('carol', ['kv', 'get', 'sessions-long', 'k'], 1)
    await ok('carol', ['kv', 'set', 'plain-kv', 'k', 'v'], 0)
    const listed = await sessions('bob', 1)
    expect(listed).toHaveLength(1)
    expect(listed[0]).toMatchObject({principal: 'carol@example.test', subject: 'carol', namespace: 'sessions-long', groups: ['viewers']})
    expect(listed[0]!.id).toMatch(/^[0-9a-f]{32}$/)
    expect(Date.parse(listed[0]!.expiresAt!)).toBeGreaterThan(Date.parse(listed[0]!.lastSeenAt!))
    const started = await received(subjectOf('sessions-long', 'started'), (seen) => seen.length >= 1)
    expect(started).toHaveLength(1)
    expect(started[0]).toMatchObject({type: 'session.started', id: listed[0]!.id, namespace: 'sessions-long', principal: 'carol@example.test'})

    const table = (await ok('bob', ['session', 'list', '--namespace', 'sessions-long'], 0)).stdout
    expect(table.split('\n')[0]).toMatch(/^ID\s+PRINCIPAL\s+NAMESPACE\s+STARTED\s+LAST SEEN\s+EXPIRES$/)
    expect(table).toContain(listed[0]!.id)
    expect((await ok('bob', ['session', 'list', '-o', 'yaml'], 1)).stdout).toContain(`id: ${listed[0]!.id}`)
    for (const p of proxies) expect(p.logs()).not.toContain(tokens.carol)
  })

  it('callers see and get their own sessions; another caller\'s needs the operator role', async () => {
    await ok('bob', ['kv', 'get', 'sessions-long', 'k'], 1)
    const carols = await sessions('carol', 0)
    expect(carols.map((s) => s.principal)).toEqual(['carol@example.test'])
    const bobs = (await sessions('bob', 0)).find((s) => s.principal === 'bob@example.test')!
    const own = JSON.parse((await ok('carol', ['session', 'get', carols[0]!.id!, '--json'], 1)).stdout)
    expect(own).toMatchObject({id: carols[0]!.id, namespace: 'sessions-long'})
    const other = await cli('carol', ['session', 'get', bobs.id!], 1)
    expect(other.code).toBe(1)
    expect(other.stderr).toContain("seeing another caller's session needs the operator role")
    const missing = await cli('bob', ['session', 'get', 'f'.repeat(32)], 0)
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('not found')
    const bad = await cli('bob', ['session', 'get', 'not-an-id'], 0)
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('is not a session id')
  })

  it('kill: a viewer is refused; an operator kills through proxy B, announced once, and the token is refused on both proxies', async () => {
    const carol = (await sessions('bob', 0)).find((s) => s.principal === 'carol@example.test')!
    const refused = await cli('carol', ['session', 'kill', carol.id!, '--yes'], 0)
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('killing a session needs the operator role')
    const noYes = await cli('bob', ['session', 'kill', carol.id!], 1)
    expect(noYes.code).toBe(2)
    expect(noYes.stderr).toContain('Pass --yes')

    const killed = await ok('bob', ['session', 'kill', carol.id!, '--yes'], 1)
    expect(killed.stdout).toContain(`session ${carol.id} of carol@example.test in namespace sessions-long killed`)
    const ended = await received(subjectOf('sessions-long', 'ended'), (seen) => seen.length >= 1)
    expect(ended).toEqual([expect.objectContaining({type: 'session.ended', reason: 'killed', id: carol.id})])
    for (const via of [0, 1]) {
      const r = await cli('carol', ['kv', 'get', 'sessions-long', 'k'], via)
      expect(r.code).toBe(1)
      expect(r.stderr).toContain('was killed by bob@example.test')
      expect(r.stderr).toContain('prismctl login')
    }
    expect((await sessions('bob', 0)).map((s) => s.principal)).toEqual(['bob@example.test'])
    // Logging in again gives a new token, hence a new session.
    tokens.carol = await idTokenFor(op.issuer, 'carol')
    await ok('carol', ['kv', 'get', 'sessions-long', 'k'], 0)
    expect((await sessions('bob', 1)).map((s) => s.principal).sort()).toEqual(['bob@example.test', 'carol@example.test'])
  })

  it('an idle session expires, is announced once (not once per proxy), and a later call starts a new one', async () => {
    await ok('alice', ['kv', 'set', 'sessions-idle', 'k', 'v'], 0)
    const [started] = await received(subjectOf('sessions-idle', 'started'), (seen) => seen.length >= 1)
    const ended = await received(subjectOf('sessions-idle', 'ended'), (seen) => seen.length >= 1)
    expect(ended[0]).toMatchObject({type: 'session.ended', reason: 'expired', id: started!.id})
    expect(await sessions('bob', 1, 'sessions-idle')).toEqual([])
    // Both proxies sweep every half idle timeout: after several more sweeps, still one event (a bounded wait, then a count).
    await new Promise((r) => setTimeout(r, 2000))
    expect(events.get(subjectOf('sessions-idle', 'ended'))).toHaveLength(1)
    await ok('alice', ['kv', 'get', 'sessions-idle', 'k'], 1)
    await received(subjectOf('sessions-idle', 'started'), (seen) => seen.length === 2)
  })
})

describe('SessionStorePattern over gRPC', () => {
  const client = (who: string, namespace?: string) =>
    createServiceClient(grpc, SessionStorePattern, {
      endpoint: proxies[1]!.endpoint,
      credentials: grpc.credentials.createInsecure(),
      metadata: () => ({authorization: `Bearer ${tokens[who]}`, ...(namespace ? {'x-prism-namespace': namespace} : {})}),
    })

  it("GetCapabilities names the session manager's backends and idle timeout", async () => {
    const c = client('carol', 'sessions-long')
    try {
      expect(await c.getCapabilities({})).toMatchObject({
        namespace: 'sessions-long',
        pattern: 'sessions',
        storeBackend: 'redis-sessions',
        storeBackendType: 'redis',
        eventsBackend: 'nats-events',
        supportsEvents: true,
        supportsList: true,
        idleTimeoutSeconds: 600,
      })
    } finally {
      c.close()
    }
    // A namespace's auth.allowedGroups hold for it as for its data: carol (viewers) is refused, alice (admins) not.
    const refused = client('carol', 'sessions-admins')
    const admitted = client('alice', 'sessions-admins')
    try {
      await expect(refused.getCapabilities({})).rejects.toMatchObject({code: grpc.status.PERMISSION_DENIED, details: expect.stringContaining('admits members of admins only')})
      expect(await admitted.getCapabilities({})).toMatchObject({namespace: 'sessions-admins', storeBackend: 'redis-sessions'})
    } finally {
      refused.close()
      admitted.close()
    }
  })

  it('Refresh moves a caller\'s own session forward; another caller\'s needs the operator role', async () => {
    await ok('carol', ['kv', 'get', 'sessions-long', 'k'], 0)
    const c = client('carol')
    const alice = client('alice')
    try {
      const [mine] = (await c.list({namespace: 'sessions-long'})).sessions
      await new Promise((r) => setTimeout(r, 20))
      const refreshed = await c.refresh({id: mine!.id, namespace: ''})
      expect(timestampMs(refreshed.lastSeenAt!)).toBeGreaterThan(timestampMs(mine!.lastSeenAt!))
      expect(timestampMs(refreshed.startedAt!)).toBe(timestampMs(mine!.startedAt!))
      // alice is an admin (which includes operator): she may refresh carol's; carol may not refresh bob's.
      expect((await alice.refresh({id: mine!.id, namespace: 'sessions-long'})).principal).toBe('carol@example.test')
      const bobs = (await alice.list({namespace: ''})).sessions.find((s) => s.principal === 'bob@example.test')!
      await expect(c.refresh({id: bobs.id, namespace: ''})).rejects.toMatchObject({code: grpc.status.PERMISSION_DENIED})
    } finally {
      c.close()
      alice.close()
    }
  })
})

describe('logout', () => {
  it('ends the session of the stored login on the proxy (logged_out), and that token is refused afterwards', async () => {
    const dir = tempDir('prism-sessions-logout-')
    const env = {PRISM_PROXY_ENDPOINT: proxies[0]!.endpoint, PRISM_ADMIN_ENDPOINT: admin.endpoint}
    const login = await runCli(['login', '--issuer', op.issuer, '--username', 'bob@example.test', '--password-stdin'], {configDir: dir, env, input: 'bob-pw\n'})
    expect(login.code, login.stderr).toBe(0)
    const set = await runCli(['kv', 'set', 'sessions-long', 'mine', 'v'], {configDir: dir, env})
    expect(set.code, set.stderr).toBe(0)
    const bearer = readTokens('default', {PRISM_CONFIG_DIR: dir})!.bearer
    const before = (await sessions('alice', 1)).filter((s) => s.principal === 'bob@example.test')
    expect(before).toHaveLength(2)

    const out = await runCli(['logout'], {configDir: dir, env})
    expect(out.code, out.stderr).toBe(0)
    expect(out.stdout).toContain(`1 session(s) ended on the proxy at ${proxies[0]!.endpoint}`)
    const ended = await received(subjectOf('sessions-long', 'ended'), (seen) => seen.some((e) => e.reason === 'logged_out'))
    expect(ended.filter((e) => e.reason === 'logged_out')).toEqual([expect.objectContaining({principal: 'bob@example.test'})])
    // Bob's other token (PRISM_TOKEN in the other tests) keeps its session.
    expect((await sessions('alice', 1)).filter((s) => s.principal === 'bob@example.test')).toHaveLength(1)
    const reused = await runCli(['kv', 'get', 'sessions-long', 'mine'], {env: {...env, PRISM_TOKEN: bearer}})
    expect(reused.code).toBe(1)
    expect(reused.stderr).toContain('ended when you logged out')
  })
})
