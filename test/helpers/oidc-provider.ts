/**
 * A real OIDC provider for tests (panva's oidc-provider) on 127.0.0.1, port 0. It has what prismctl meets at Dex
 * and at corporate providers: device flow, refresh with rotation, revocation, a custom `password` grant, a
 * confidential client for client_credentials (JWT access tokens, audience prismctl), users in groups, a `groups`
 * claim in the ID token, and key rotation. Device approval is done headlessly over HTTP, like a browser would.
 */
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import {exportJWK, generateKeyPair, type JWK} from 'jose'
import type {Provider as ProviderType} from 'oidc-provider'

import {loadOidcProvider} from '../../src/issuer/load-oidc-provider.js'
import {registerPasswordGrant} from '../../src/issuer/password-grant.js'
import {Browser, formFields} from './browser.js'

// Through the loader, so that its known development notices stay out of the test output.
const {errors, Provider} = await loadOidcProvider()
type Provider = ProviderType

export interface TestUser {
  id: string
  email: string
  name: string
  password: string
  groups: string[]
}

export const USERS: Record<string, TestUser> = {
  alice: {id: 'alice', email: 'alice@example.test', name: 'Alice Admin', password: 'alice-pw', groups: ['admins']},
  bob: {id: 'bob', email: 'bob@example.test', name: 'Bob Platform', password: 'bob-pw', groups: ['platform-team']},
  carol: {id: 'carol', email: 'carol@example.test', name: 'Carol Viewer', password: 'carol-pw', groups: ['viewers']},
  dave: {id: 'dave', email: 'dave@example.test', name: 'Dave Nogroup', password: 'dave-pw', groups: []},
  // A proxy's identity (the proxy role): Watch with secrets in clear, leases.
  paul: {id: 'paul', email: 'paul@example.test', name: 'Paul Proxy', password: 'paul-pw', groups: ['proxies']},
}

export const CLIENT_ID = 'prismctl'
export const CI_CLIENT = {id: 'ci-bot', secret: 'ci-bot-secret-value', groups: ['platform-team']}

export interface TestProviderOptions {
  /** Poll interval the device authorization response announces (oidc-provider sends none by default). */
  deviceInterval?: number
  deviceCodeTtlSec?: number
  idTokenTtlSec?: number
  /** Answer the first device-code poll with slow_down (oidc-provider never does by itself). */
  slowDownOnce?: boolean
  /** Answer authorization_pending with HTTP 401 (as Dex up to v2.43 did) and a WWW-Authenticate challenge. */
  pendingAs401?: boolean
}

export interface Poll {
  at: number
  error?: string
}

export interface TestProvider {
  issuer: string
  /** Every device-code poll at the token endpoint, in order. */
  polls: Poll[]
  /** Publishes a new signing key (and keeps the old one published); new tokens are signed with it. Returns the new kid. */
  rotateKeys(): Promise<string>
  /** Does in a browser's place what the user does: enter the code, confirm (or abort), log in, consent. */
  approveDevice(userCode: string, login: string, options?: {deny?: boolean}): Promise<void>
  close(): Promise<void>
}

async function newKey(): Promise<JWK> {
  const {privateKey} = await generateKeyPair('RS256', {extractable: true})
  return {...(await exportJWK(privateKey)), kid: `k-${Math.random().toString(36).slice(2, 10)}`, alg: 'RS256', use: 'sig'}
}

function claimsOf(user: TestUser) {
  return {sub: user.id, email: user.email, email_verified: true, name: user.name, groups: user.groups}
}

function makeProvider(issuer: string, keys: JWK[], options: TestProviderOptions, polls: Poll[]): Provider {
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token', 'authorization_code', 'password'],
        redirect_uris: ['http://127.0.0.1/callback'],
        response_types: ['code'],
      },
      {
        client_id: CI_CLIENT.id,
        client_secret: CI_CLIENT.secret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
      },
    ],
    jwks: {keys},
    cookies: {keys: ['prism-test-cookie-key']},
    claims: {openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups']},
    scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
    conformIdTokenClaims: false,
    findAccount: (_ctx: unknown, id: string) => {
      const user = USERS[id]
      return user ? {accountId: id, claims: () => claimsOf(user)} : undefined
    },
    features: {
      devInteractions: {enabled: true},
      deviceFlow: {enabled: true},
      revocation: {enabled: true},
      introspection: {enabled: true},
      clientCredentials: {enabled: true},
      resourceIndicators: {
        enabled: true,
        // Service accounts get JWT access tokens for the control plane (audience prismctl), like a corporate IdP would.
        defaultResource: (_ctx: unknown, client: {clientId: string}) => (client.clientId === CI_CLIENT.id ? 'urn:prism:control-plane' : undefined),
        useGrantedResource: () => false,
        getResourceServerInfo: () => ({scope: 'prism', audience: CLIENT_ID, accessTokenFormat: 'jwt', jwt: {sign: {alg: 'RS256'}}}),
      },
    },
    extraTokenClaims: (_ctx: unknown, token: {kind: string; clientId?: string}) =>
      token.kind === 'ClientCredentials' && token.clientId === CI_CLIENT.id ? {groups: CI_CLIENT.groups} : undefined,
    issueRefreshToken: (_ctx: unknown, client: {grantTypeAllowed(g: string): boolean}) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    pkce: {required: () => false},
    ttl: {
      IdToken: options.idTokenTtlSec ?? 3600,
      AccessToken: options.idTokenTtlSec ?? 3600,
      DeviceCode: options.deviceCodeTtlSec ?? 600,
      RefreshToken: 86_400,
      Grant: 86_400,
      Session: 86_400,
      Interaction: 600,
      ClientCredentials: options.idTokenTtlSec ?? 3600,
    },
  })

  if (options.deviceInterval !== undefined) {
    provider.on('device_authorization.success', (_ctx: unknown, body: {interval?: number}) => {
      body.interval = options.deviceInterval
    })
  }

  provider.use(async (ctx, next) => {
    const isDevicePoll = ctx.method === 'POST' && ctx.path === '/token'
    if (!isDevicePoll) return next()
    // The body is parsed by the provider later; peek at it without consuming the stream.
    const raw = await new Promise<string>((resolve) => {
      let data = ''
      ctx.req.on('data', (c: Buffer) => (data += c.toString()))
      ctx.req.on('end', () => resolve(data))
    })
    const params = new URLSearchParams(raw)
    // oidc-provider's parser falls back to req.body once the stream is consumed.
    ctx.req.body = raw
    if (params.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:device_code') return next()
    const poll: Poll = {at: Date.now()}
    polls.push(poll)
    if (options.slowDownOnce && polls.length === 1) {
      poll.error = 'slow_down'
      ctx.status = 400
      ctx.body = {error: 'slow_down', error_description: 'polling too fast'}
      return
    }
    await next()
    poll.error = (ctx.body as {error?: string} | undefined)?.error
    if (options.pendingAs401 && poll.error === 'authorization_pending') {
      ctx.status = 401
      ctx.set('WWW-Authenticate', 'Bearer error="authorization_pending"')
    }
  })

  registerPasswordGrant(provider, {
    invalidGrant: errors.InvalidGrant,
    async verify(username, password) {
      const user = Object.values(USERS).find((u) => u.id === username || u.email === username)
      return user && user.password === password ? {accountId: user.id, claims: claimsOf(user)} : undefined
    },
  })
  return provider
}

/** A test user's ID token (the bearer prismctl sends), through the password grant over HTTP. */
export async function idTokenFor(issuer: string, user: keyof typeof USERS): Promise<string> {
  const {email, password} = USERS[user]!
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {'content-type': 'application/x-www-form-urlencoded'},
    body: new URLSearchParams({grant_type: 'password', client_id: CLIENT_ID, username: email, password, scope: 'openid email profile groups'}),
  })
  const body = (await response.json()) as {id_token?: string; error?: string}
  if (!body.id_token) throw new Error(`password grant for ${user} failed: HTTP ${response.status} ${body.error ?? ''}`)
  return body.id_token
}

export async function startTestProvider(options: TestProviderOptions = {}): Promise<TestProvider> {
  const polls: Poll[] = []
  let keys = [await newKey()]
  let provider: Provider | undefined
  const server: Server = createServer((req, res) => provider!.callback()(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  provider = makeProvider(issuer, keys, options, polls)

  return {
    issuer,
    polls,
    async rotateKeys() {
      keys = [await newKey(), ...keys]
      // The default in-memory adapter is shared by every Provider in the process, so grants survive the swap.
      provider = makeProvider(issuer, keys, options, polls)
      return keys[0]!.kid!
    },
    async approveDevice(userCode, login, approveOptions = {}) {
      const browser = new Browser()
      let page = await browser.request(`${issuer}/device`)
      const input = formFields(page.html, 'op.deviceInputForm')
      page = await browser.request(new URL(input.action ?? '/device', issuer).href, {...input.fields, user_code: userCode})
      const confirm = formFields(page.html, 'op.deviceConfirmForm')
      page = await browser.request(new URL(confirm.action ?? '/device', issuer).href, {...confirm.fields, ...(approveOptions.deny ? {abort: 'yes'} : {confirm: 'yes'})})
      for (let step = 0; step < 5 && !approveOptions.deny; step++) {
        if (/Sign-in Success/i.test(page.html)) return
        const form = formFields(page.html)
        const prompt = form.fields.prompt
        if (prompt === 'login') page = await browser.request(new URL(form.action!, page.url).href, {...form.fields, login, password: USERS[login]?.password ?? 'x'})
        else if (prompt === 'consent') page = await browser.request(new URL(form.action!, page.url).href, form.fields)
        else throw new Error(`unexpected page at ${page.url}: ${page.html.slice(0, 300)}`)
      }
      if (!approveOptions.deny) throw new Error(`device approval did not finish: ${page.html.slice(0, 300)}`)
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
