/**
 * Issuer trouble, against the real OIDC test provider behind a faulty HTTP proxy of ours that counts every fetch
 * and can answer 503 or drop connections (issue 10 item 4): a valid token is UNAVAILABLE "the issuer cannot be
 * reached", never "log in again"; known keys keep verifying tokens during an outage; failed fetches back off, so
 * floods of tokens (valid or garbage) do not turn into floods of fetches. The same verifier serves the proxy.
 */
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import * as grpc from '@grpc/grpc-js'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createServiceClient} from '../../src/api/grpc-service.js'
import {ControlPlane} from '../../src/gen/prism/admin/v1/control_plane_pb.js'
import {RETRY_MIN_MS} from '../../src/jwt/issuer-keys.js'
import {createJwtAuthenticator} from '../../src/jwt/verifier.js'
import {startAdminServer, type AdminServer} from '../helpers/admin-server.js'
import {runCli} from '../helpers/cli.js'
import {CLIENT_ID, idTokenFor, startTestProvider, type TestProvider} from '../helpers/oidc-provider.js'
import {startProxyServer, waitReady, type ProxyServer} from '../helpers/proxy-server.js'

type Mode = 'pass' | '503' | 'drop'

interface FaultyProxy {
  url: string
  mode: Mode
  /** Requests received, whatever was answered. */
  fetches: number
  close(): Promise<void>
}

/** Forwards to `target`, answers 503, or drops the connection, as `mode` says; counts every request. */
async function startFaultyProxy(target: string): Promise<FaultyProxy> {
  const proxy: FaultyProxy = {url: '', mode: 'pass', fetches: 0, close: async () => {}}
  const server: Server = createServer((req, res) => {
    proxy.fetches++
    if (proxy.mode === 'drop') return void req.socket.destroy()
    if (proxy.mode === '503') {
      res.writeHead(503, {'content-type': 'text/plain'})
      return void res.end('upstream unavailable')
    }
    fetch(`${target}${req.url}`).then(
      async (upstream) => {
        res.writeHead(upstream.status, {'content-type': upstream.headers.get('content-type') ?? 'application/json'})
        res.end(Buffer.from(await upstream.arrayBuffer()))
      },
      () => req.socket.destroy(),
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return proxy
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
/** A well-formed JWT with a key id nobody published and a signature that means nothing. */
const garbage = (issuer: string, i: number) => `${b64({alg: 'RS256', kid: `garbage-${i}`})}.${b64({iss: issuer, aud: CLIENT_ID, sub: `x-${i}`, exp: 9_999_999_999})}.${Buffer.from(`sig-${i}`).toString('base64url')}`

let op: TestProvider
let faulty: FaultyProxy
let tokens: Record<'alice' | 'bob' | 'carol', string>

beforeAll(async () => {
  op = await startTestProvider()
  faulty = await startFaultyProxy(op.issuer)
  tokens = {alice: await idTokenFor(op.issuer, 'alice'), bob: await idTokenFor(op.issuer, 'bob'), carol: await idTokenFor(op.issuer, 'carol')}
})

afterAll(async () => {
  await faulty?.close()
  await op?.close()
})

describe('the verifier against a failing issuer (in-process, own clock)', () => {
  it('503: UNAVAILABLE naming the issuer; 1,000 garbage tokens make no fetch of their own; known keys outlive the outage', async () => {
    let clock = Date.now()
    const verifier = createJwtAuthenticator({issuer: op.issuer, audience: CLIENT_ID, jwksUrl: `${faulty.url}/jwks`, now: () => clock})
    const attempt = (token: string) => verifier.authenticate(`Bearer ${token}`).then(() => 'ok', (err: {code: string}) => err.code)
    faulty.mode = '503'
    faulty.fetches = 0
    const err = (await verifier.authenticate(`Bearer ${tokens.alice}`).catch((e: unknown) => e)) as {code: string; message: string; hint: string}
    expect(err.code).toBe('UNAVAILABLE')
    expect(err.message).toContain(`the issuer ${op.issuer} cannot be reached (GET ${faulty.url}/jwks: HTTP 503)`)
    expect(`${err.message} ${err.hint}`).not.toMatch(/log in again/i)
    const codes = new Set<string>()
    for (let i = 0; i < 1000; i++) codes.add(await attempt(garbage(op.issuer, i)))
    expect(codes).toEqual(new Set(['UNAVAILABLE']))
    expect(faulty.fetches).toBe(1)

    // The issuer is back: after the backoff, one fetch, and valid tokens verify.
    faulty.mode = 'pass'
    clock += RETRY_MIN_MS
    expect(await attempt(tokens.alice)).toBe('ok')
    expect(faulty.fetches).toBe(2)

    // Down again (connections dropped), eleven minutes later: the keys are due for a refresh, which fails, and
    // tokens still verify with the keys the server knows; 1,000 garbage tokens add no fetch.
    faulty.mode = 'drop'
    clock += 11 * 60_000
    expect(await attempt(tokens.bob)).toBe('ok')
    for (let i = 0; i < 1000; i++) expect(['UNAUTHENTICATED', 'UNAVAILABLE']).toContain(await attempt(garbage(op.issuer, i)))
    expect(await attempt(tokens.carol)).toBe('ok')
    expect(faulty.fetches).toBeLessThanOrEqual(3)
    console.log(`issuer outage (in-process): ${faulty.fetches} fetches for 2,004 tokens (1 valid + 1,000 garbage at 503, 1 valid after recovery, 2 valid + 1,000 garbage while dropped)`)
  })
})

describe('admin serve against a failing issuer (spawned, through the CLI)', () => {
  let server: AdminServer

  beforeAll(async () => {
    faulty.mode = '503'
    faulty.fetches = 0
    server = await startAdminServer({args: ['--issuer', op.issuer, '--audience', CLIENT_ID, '--jwks-url', `${faulty.url}/jwks`]})
  })
  afterAll(() => server?.stop())

  const list = (token: string) => runCli(['namespace', 'list'], {env: {PRISM_TOKEN: token, PRISM_ADMIN_ENDPOINT: server.endpoint}})

  it('a valid token while the JWKS answers 503: the CLI says the issuer cannot be reached, not "log in again"', async () => {
    const r = await list(tokens.alice)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`the issuer ${op.issuer} cannot be reached (GET ${faulty.url}/jwks: HTTP 503)`)
    expect(r.stderr).toContain('not a problem with your login')
    expect(r.stderr).not.toMatch(/log in again/i)
  })

  it('300 garbage tokens during the outage cost a handful of fetches (backoff); once the issuer is back, tokens verify', async () => {
    const before = faulty.fetches
    let i = 0
    const client = createServiceClient(grpc, ControlPlane, {
      endpoint: server.endpoint,
      credentials: grpc.credentials.createInsecure(),
      metadata: (): Record<string, string> => ({authorization: `Bearer ${garbage(op.issuer, i++)}`}),
    })
    const codes = new Set<string>()
    const started = Date.now()
    for (let n = 0; n < 300; n++) codes.add(await client.echo({message: 'x'}).then(() => 'OK', (err: grpc.ServiceError) => grpc.status[err.code]!))
    const seconds = (Date.now() - started) / 1000
    expect(codes).toEqual(new Set(['UNAVAILABLE']))
    // Attempts wait 1 s, 2 s, 4 s, … after each failure: at most 1 + log2(elapsed) of them, whatever the number of calls.
    const made = faulty.fetches - before
    expect(made).toBeLessThanOrEqual(2 + Math.ceil(Math.log2(1 + seconds)))
    console.log(`issuer outage (admin serve): ${made} fetches for 300 garbage tokens in ${seconds.toFixed(1)} s`)

    // Back up: a valid token verifies as soon as the backoff allows one more fetch (bounded number of tries).
    faulty.mode = 'pass'
    let r = await list(tokens.alice)
    for (let tries = 0; r.code !== 0 && tries < 20; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 500))
      r = await list(tokens.alice)
    }
    expect(r.code, r.stderr).toBe(0)

    // Down again: known keys keep verifying a token the server has not seen yet.
    faulty.mode = 'drop'
    const bob = await list(tokens.bob)
    expect(bob.code, bob.stderr).toBe(0)
  })
})

describe('proxy serve against a failing issuer (same verifier)', () => {
  let admin: AdminServer
  let proxy: ProxyServer

  beforeAll(async () => {
    faulty.mode = '503'
    faulty.fetches = 0
    admin = await startAdminServer()
    proxy = await startProxyServer({adminEndpoint: admin.endpoint, args: ['--issuer', op.issuer, '--audience', CLIENT_ID, '--jwks-url', `${faulty.url}/jwks`]})
    await waitReady(proxy)
  })
  afterAll(async () => {
    await proxy?.stop()
    await admin?.stop()
  })

  it('a data call with a valid token while the JWKS answers 503 is UNAVAILABLE: the issuer cannot be reached', async () => {
    const r = await runCli(['kv', 'get', 'any-namespace', 'k'], {env: {PRISM_TOKEN: tokens.alice, PRISM_PROXY_ENDPOINT: proxy.endpoint}})
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`the issuer ${op.issuer} cannot be reached (GET ${faulty.url}/jwks: HTTP 503)`)
    expect(r.stderr).not.toMatch(/log in again/i)
    expect(faulty.fetches).toBeGreaterThanOrEqual(1)
    expect(faulty.fetches).toBeLessThanOrEqual(2)
  })
})
