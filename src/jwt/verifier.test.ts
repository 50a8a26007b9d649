import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import {exportJWK, generateKeyPair, type JWK, SignJWT, type CryptoKey} from 'jose'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import type {PrismError} from '../errors.js'

import {KEY_REFRESH_MS, MAX_KEY_AGE_MS, RETRY_MAX_MS, RETRY_MIN_MS} from './issuer-keys.js'
import {createJwtAuthenticator} from './verifier.js'

const AUDIENCE = 'prismctl'

interface Key {
  kid: string
  privateKey: CryptoKey
  jwk: JWK
}

async function makeKey(kid: string, alg = 'RS256'): Promise<Key> {
  const {privateKey, publicKey} = await generateKeyPair(alg, {extractable: true})
  return {kid, privateKey, jwk: {...(await exportJWK(publicKey)), kid, alg, use: 'sig'}}
}

/** A minimal issuer: discovery + JWKS on 127.0.0.1, with keys the test can rotate. */
let server: Server
let issuer: string
let published: Key[] = []
let jwksFetches = 0
/** Every request (discovery and JWKS), and whether the issuer answers 503 to all of them. */
let requests = 0
let failing = false

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++
    res.setHeader('content-type', 'application/json')
    if (failing) {
      res.statusCode = 503
      res.end('{"error": "temporarily unavailable"}')
    } else if (req.url === '/.well-known/openid-configuration') {
      res.end(JSON.stringify({issuer, jwks_uri: `${issuer}/keys`}))
    } else if (req.url === '/keys') {
      jwksFetches++
      res.end(JSON.stringify({keys: published.map((k) => k.jwk)}))
    } else {
      res.statusCode = 404
      res.end('{}')
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

function sign(key: Key, claims: Record<string, unknown> = {}, alg = 'RS256') {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({sub: 'user-1', email: 'alice@example.test', groups: ['admins', 'viewers'], ...claims})
    .setProtectedHeader({alg, kid: key.kid})
    .setIssuer((claims.iss as string) ?? issuer)
    .setAudience((claims.aud as string) ?? AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime((claims.exp as number) ?? now + 300)
    .sign(key.privateKey)
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')

describe('createJwtAuthenticator', () => {
  let k1: Key
  let auth: ReturnType<typeof createJwtAuthenticator>

  beforeAll(async () => {
    k1 = await makeKey('k1')
    published = [k1]
    // jwksUrl left out: discovered lazily from the issuer.
    auth = createJwtAuthenticator({issuer, audience: AUDIENCE, jwksCooldownMs: 0})
  })

  it('accepts a valid token and maps groups to roles; name is the email', async () => {
    const exp = Math.floor(Date.now() / 1000) + 120
    const p = await auth.authenticate(`Bearer ${await sign(k1, {exp})}`)
    expect(p).toEqual({name: 'alice@example.test', subject: 'user-1', email: 'alice@example.test', groups: ['admins', 'viewers'], roles: ['viewer', 'admin'], issuer, expiresAt: exp * 1000})
  })

  it('uses the subject as the name when there is no email', async () => {
    const p = await auth.authenticate(`Bearer ${await sign(k1, {email: undefined, groups: ['platform-team']})}`)
    expect(p.name).toBe('user-1')
    expect(p.roles).toEqual(['operator'])
  })

  it('accepts EdDSA and ES256 keys', async () => {
    const ed = await makeKey('ed', 'EdDSA')
    const ec = await makeKey('ec', 'ES256')
    published = [k1, ed, ec]
    await expect(auth.authenticate(`Bearer ${await sign(ed, {}, 'EdDSA')}`)).resolves.toMatchObject({subject: 'user-1'})
    await expect(auth.authenticate(`Bearer ${await sign(ec, {}, 'ES256')}`)).resolves.toMatchObject({subject: 'user-1'})
    published = [k1]
  })

  async function rejection(authorization: string | undefined): Promise<{code: string; message: string}> {
    try {
      await auth.authenticate(authorization)
    } catch (err) {
      return err as {code: string; message: string}
    }
    throw new Error('expected a rejection')
  }

  it('rejects missing and malformed headers', async () => {
    expect(await rejection(undefined)).toMatchObject({code: 'UNAUTHENTICATED', message: expect.stringMatching(/no bearer token/)})
    expect(await rejection('Basic abc')).toMatchObject({code: 'UNAUTHENTICATED', message: expect.stringMatching(/not "Bearer <token>"/)})
    expect(await rejection('Bearer not-a-jwt')).toMatchObject({code: 'UNAUTHENTICATED', message: expect.stringMatching(/not a valid signed JWT/)})
  })

  it('rejects a forged signature', async () => {
    const token = await sign(k1)
    const [h, p] = token.split('.')
    const forged = `${h}.${b64({...JSON.parse(Buffer.from(p!, 'base64url').toString()), groups: ['admins'], sub: 'mallory'})}.${token.split('.')[2]}`
    const err = await rejection(`Bearer ${forged}`)
    expect(err).toMatchObject({code: 'UNAUTHENTICATED', message: expect.stringMatching(/signature is invalid/)})
    expect(err.message).not.toContain(forged)
  })

  it('rejects alg none', async () => {
    const now = Math.floor(Date.now() / 1000)
    const token = `${b64({alg: 'none', typ: 'JWT'})}.${b64({iss: issuer, aud: AUDIENCE, sub: 'x', exp: now + 60})}.`
    expect(await rejection(`Bearer ${token}`)).toMatchObject({code: 'UNAUTHENTICATED'})
  })

  it('rejects HS256 signed with the public key as the secret', async () => {
    const {createHmac} = await import('node:crypto')
    const now = Math.floor(Date.now() / 1000)
    const input = `${b64({alg: 'HS256', kid: 'k1'})}.${b64({iss: issuer, aud: AUDIENCE, sub: 'x', exp: now + 60})}`
    const sig = createHmac('sha256', JSON.stringify(k1.jwk)).update(input).digest('base64url')
    expect(await rejection(`Bearer ${input}.${sig}`)).toMatchObject({code: 'UNAUTHENTICATED', message: expect.stringMatching(/algorithm is not allowed/)})
  })

  it('rejects the wrong issuer and the wrong audience, saying which', async () => {
    expect(await rejection(`Bearer ${await sign(k1, {iss: 'https://evil.example'})}`)).toMatchObject({message: expect.stringMatching(/another issuer/)})
    expect(await rejection(`Bearer ${await sign(k1, {aud: 'other-client'})}`)).toMatchObject({message: expect.stringMatching(/another audience \(expected prismctl\)/)})
  })

  it('rejects expired tokens beyond the leeway and accepts within it', async () => {
    const now = Math.floor(Date.now() / 1000)
    expect(await rejection(`Bearer ${await sign(k1, {exp: now - 120})}`)).toMatchObject({message: expect.stringMatching(/has expired/)})
    await expect(auth.authenticate(`Bearer ${await sign(k1, {exp: now - 5})}`)).resolves.toMatchObject({subject: 'user-1'})
  })

  it('rejects a token that is not valid yet', async () => {
    const now = Math.floor(Date.now() / 1000)
    expect(await rejection(`Bearer ${await sign(k1, {nbf: now + 600})}`)).toMatchObject({message: expect.stringMatching(/not valid yet/)})
  })

  it('accepts a token signed by a rotated-in key once the new JWKS is fetched', async () => {
    const k2 = await makeKey('k2')
    const token = await sign(k2)
    // Not published yet: unknown kid.
    expect(await rejection(`Bearer ${token}`)).toMatchObject({message: expect.stringMatching(/no signing key/)})
    const before = jwksFetches
    published = [k1, k2]
    await expect(auth.authenticate(`Bearer ${token}`)).resolves.toMatchObject({subject: 'user-1'})
    expect(jwksFetches).toBe(before + 1)
    // Cached from now on.
    await auth.authenticate(`Bearer ${await sign(k2)}`)
    expect(jwksFetches).toBe(before + 1)
  })

  it('does not refetch the JWKS for unknown kids within the cooldown', async () => {
    const cautious = createJwtAuthenticator({issuer, audience: AUDIENCE})
    await cautious.authenticate(`Bearer ${await sign(k1)}`)
    const before = jwksFetches
    const stranger = await makeKey('stranger')
    for (let i = 0; i < 3; i++) expect(await cautious.authenticate(`Bearer ${await sign(stranger)}`).catch((e: Error) => e.message)).toMatch(/no signing key/)
    expect(jwksFetches).toBe(before)
  })

  it('uses an explicit JWKS URL instead of discovery (issuer string need not be reachable)', async () => {
    const other = createJwtAuthenticator({issuer: 'http://localhost:5556/dex', audience: AUDIENCE, jwksUrl: `${issuer}/keys`})
    const p = await other.authenticate(`Bearer ${await sign(k1, {iss: 'http://localhost:5556/dex'})}`)
    expect(p.issuer).toBe('http://localhost:5556/dex')
  })

  it('reports an unreachable issuer as UNAVAILABLE, not as a bad token', async () => {
    const dead = createJwtAuthenticator({issuer: 'http://127.0.0.1:9/dex', audience: AUDIENCE})
    await expect(dead.authenticate(`Bearer ${await sign(k1)}`)).rejects.toMatchObject({code: 'UNAVAILABLE'})
  })
})

describe('verdict cache', () => {
  it('serves a verified token again without outliving its expiry', async () => {
    const key = await makeKey('cache-k')
    published = [key]
    let clock = Date.now()
    const auth = createJwtAuthenticator({issuer, audience: AUDIENCE, jwksUrl: `${issuer}/keys`, clockToleranceSec: 0, now: () => clock})
    const exp = Math.floor(clock / 1000) + 20
    const token = await sign(key, {exp})
    expect((await auth.authenticate(`Bearer ${token}`)).name).toBe('alice@example.test')
    clock += 10_000
    expect((await auth.authenticate(`Bearer ${token}`)).name).toBe('alice@example.test')
    clock = exp * 1000 + 1_000
    await expect(auth.authenticate(`Bearer ${token}`)).rejects.toMatchObject({code: 'UNAUTHENTICATED', message: expect.stringContaining('expired')})
  })

  it('keys verdicts by the token: another token is verified on its own', async () => {
    const key = await makeKey('cache-k2')
    published = [key]
    const auth = createJwtAuthenticator({issuer, audience: AUDIENCE, jwksUrl: `${issuer}/keys`})
    expect((await auth.authenticate(`Bearer ${await sign(key, {groups: ['admins']})}`)).roles).toEqual(['admin'])
    expect((await auth.authenticate(`Bearer ${await sign(key, {groups: ['viewers']})}`)).roles).toEqual(['viewer'])
    const forged = (await sign(key)).replace(/\.[^.]+$/, '.AAAA')
    await expect(auth.authenticate(`Bearer ${forged}`)).rejects.toMatchObject({code: 'UNAUTHENTICATED'})
  })
})

describe('issuer trouble', () => {
  const garbage = (i: number) => `${b64({alg: 'RS256', kid: `garbage-${i}`})}.${b64({iss: issuer, aud: AUDIENCE, sub: 'x', exp: 9_999_999_999})}.${Buffer.from(`sig-${i}`).toString('base64url')}`
  const attempt = (auth: ReturnType<typeof createJwtAuthenticator>, token: string) => auth.authenticate(`Bearer ${token}`).then(() => 'ok', (err: {code: string}) => err.code)

  let key: Key
  beforeAll(async () => {
    key = await makeKey('trouble-k')
  })
  afterEach(() => {
    failing = false
  })

  it('a valid token while the issuer answers 503 is UNAVAILABLE, saying the issuer cannot be reached (not "log in again")', async () => {
    published = [key]
    failing = true
    const auth = createJwtAuthenticator({issuer, audience: AUDIENCE})
    const err = (await auth.authenticate(`Bearer ${await sign(key)}`).catch((e: unknown) => e)) as PrismError
    expect(err).toMatchObject({code: 'UNAVAILABLE', message: expect.stringContaining(`the issuer ${issuer} cannot be reached (GET ${issuer}/.well-known/openid-configuration: HTTP 503)`)})
    expect(err.hint).toContain('not a problem with your login')
    expect(`${err.message} ${err.hint}`).not.toMatch(/log in again/i)
  })

  it('1,000 garbage tokens during an outage make one fetch; the next attempt waits for the backoff', async () => {
    published = [key]
    failing = true
    let clock = Date.now()
    const auth = createJwtAuthenticator({issuer, audience: AUDIENCE, now: () => clock})
    const before = requests
    const codes = new Set<string>()
    for (let i = 0; i < 1000; i++) codes.add(await attempt(auth, garbage(i)))
    expect(codes).toEqual(new Set(['UNAVAILABLE']))
    expect(requests - before).toBe(1)
    // Backoff doubles after each failure: 1 s, then 2 s; still one fetch per attempt, whatever the number of tokens.
    clock += RETRY_MIN_MS
    for (let i = 0; i < 100; i++) await attempt(auth, garbage(i))
    expect(requests - before).toBe(2)
    clock += RETRY_MIN_MS
    for (let i = 0; i < 100; i++) await attempt(auth, garbage(i))
    expect(requests - before).toBe(2)
    // Back up: discovery and keys, once; valid tokens verify again.
    failing = false
    clock += 2 * RETRY_MIN_MS
    expect(await attempt(auth, await sign(key))).toBe('ok')
    expect(requests - before).toBe(4)
  })

  it('tokens with unknown kids trigger at most one refetch per cooldown window', async () => {
    published = [key]
    let clock = Date.now()
    const auth = createJwtAuthenticator({issuer, audience: AUDIENCE, jwksUrl: `${issuer}/keys`, jwksCooldownMs: 30_000, now: () => clock})
    expect(await attempt(auth, await sign(key))).toBe('ok')
    const before = jwksFetches
    for (let i = 0; i < 1000; i++) expect(await attempt(auth, garbage(i))).toBe('UNAUTHENTICATED')
    expect(jwksFetches - before).toBe(0)
    clock += 30_000
    for (let i = 0; i < 1000; i++) expect(await attempt(auth, garbage(i))).toBe('UNAUTHENTICATED')
    expect(jwksFetches - before).toBe(1)
  })

  it(`keeps using the keys it knows while the issuer is down, for ${MAX_KEY_AGE_MS / 3_600_000} h after the last good fetch`, async () => {
    published = [key]
    let clock = Date.now()
    const auth = createJwtAuthenticator({issuer, audience: AUDIENCE, jwksUrl: `${issuer}/keys`, now: () => clock})
    const fresh = () => sign(key, {exp: Math.floor(clock / 1000) + 300})
    const fetchedAt = clock
    expect(await attempt(auth, await fresh())).toBe('ok')
    failing = true
    const before = requests
    // Ten minutes into the outage (the keys are due for a refresh, which fails): tokens still verify.
    clock = fetchedAt + KEY_REFRESH_MS + 1
    expect(await attempt(auth, await fresh())).toBe('ok')
    clock = fetchedAt + MAX_KEY_AGE_MS - RETRY_MAX_MS
    expect(await attempt(auth, await fresh())).toBe('ok')
    // Past the bound, a token cannot be checked: UNAVAILABLE, saying why.
    clock = fetchedAt + MAX_KEY_AGE_MS + 1
    const err = (await auth.authenticate(`Bearer ${await fresh()}`).catch((e: unknown) => e)) as PrismError
    expect(err).toMatchObject({code: 'UNAVAILABLE', message: expect.stringContaining('the keys fetched last are over 24 h old')})
    // At most one refresh attempt per step above (the last one may join the background refresh still under way).
    expect(requests - before).toBeGreaterThanOrEqual(2)
    expect(requests - before).toBeLessThanOrEqual(3)
  })
})
