/**
 * A Dex-compatible development issuer on panva's oidc-provider (certified), configured by a rendered Dex config:
 * the issuer URL and its path (`/dex`), web.http, static clients, static passwords (bcrypt hashes, groups), the
 * grant types and expiry. It serves Dex's paths (discovery, /keys, /token, /device/code, /device, /healthz), the
 * device flow with a login page that checks the static passwords, Dex's password grant (username = email) and
 * refresh with rotation. ID tokens carry email and groups, audience = client id. Server code: no CLI imports.
 */
import type {SigningJwk} from './signing-key.js'
import {randomBytes} from 'node:crypto'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'

import type {InteractionDetails, Provider} from 'oidc-provider'

import {PrismError} from '../errors.js'
import {redact} from '../ui/debug.js'
import {DEVICE_CODE_GRANT, goDurationSeconds, type DexConfig, type DexStaticPassword} from '../stack/dex-config.js'
import {loadOidcProvider} from './load-oidc-provider.js'
import {deviceConfirmPage, deviceInputPage, escapeHtml, loginPage, page, successPage} from './pages.js'
import {registerPasswordGrant} from './password-grant.js'

export interface RunningIssuer {
  /** The issuer URL, as in the config (e.g. http://localhost:5556/dex). */
  issuer: string
  /** host:port it listens on. */
  address: string
  close(): Promise<void>
}

/** The grants oidc-provider can give a client here, by Dex grant type name. */
const SUPPORTED_GRANTS = new Set(['authorization_code', 'refresh_token', 'password', DEVICE_CODE_GRANT])

function claimsOf(user: DexStaticPassword): Record<string, unknown> {
  return {sub: user.userID, email: user.email, email_verified: true, name: user.username, preferred_username: user.username, groups: user.groups ?? []}
}

function grantTypesOf(config: DexConfig): string[] {
  const wanted = config.oauth2?.grantTypes ?? [...SUPPORTED_GRANTS]
  // As in Dex: the password grant exists only with a password connector (the local one: static passwords).
  return wanted.filter((g) => SUPPORTED_GRANTS.has(g) && (g !== 'password' || config.oauth2?.passwordConnector === 'local'))
}

function listenAddress(config: DexConfig): {host: string; port: number} {
  const match = /^(.*):(\d+)$/.exec(config.web.http ?? '')
  if (!match) throw new PrismError(`web.http must be HOST:PORT, got "${config.web.http}"`)
  return {host: match[1] || '0.0.0.0', port: Number(match[2])}
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = ''
  for await (const chunk of req) {
    body += String(chunk)
    if (body.length > 16_384) break
  }
  return new URLSearchParams(body)
}

function send(res: ServerResponse, status: number, body: string, type = 'text/html; charset=utf-8'): void {
  res.writeHead(status, {'content-type': type, 'cache-control': 'no-store'})
  res.end(body)
}

/** `signingKey`: the key to sign with (src/issuer/signing-key.ts); without one a key is made for this run. */
export async function startDexIssuer(config: DexConfig, log: (line: string) => void = () => undefined, signingKey?: SigningJwk): Promise<RunningIssuer> {
  const jose = await import('jose')
  // RSA key generation runs on libuv's thread pool: beside oidc-provider's import (each ~300 ms), not after it.
  const made = signingKey ? undefined : jose.generateKeyPair('RS256', {extractable: true})
  // Awaited below; a failure meanwhile must not be an unhandled rejection.
  made?.catch(() => undefined)
  const {Provider: ProviderClass, errors} = await loadOidcProvider()
  const bcrypt = await import('bcryptjs')
  const issuerUrl = new URL(config.issuer)
  const base = issuerUrl.pathname.replace(/\/$/, '')
  const users = config.staticPasswords ?? []
  const byEmail = new Map(users.map((u) => [u.email.toLowerCase(), u]))
  const byId = new Map(users.map((u) => [u.userID, u]))
  const grantTypes = grantTypesOf(config)

  async function verify(email: string, password: string): Promise<DexStaticPassword | undefined> {
    const user = byEmail.get(email.trim().toLowerCase())
    return user && (await bcrypt.compare(password, user.hash)) ? user : undefined
  }

  const jwk = signingKey ?? {...(await jose.exportJWK((await made!).privateKey)), kid: `dev-${Date.now().toString(36)}`, alg: 'RS256', use: 'sig'}
  const idTokenTtl = goDurationSeconds(config.expiry?.idTokens, 86_400)
  const refreshTtl = goDurationSeconds(config.expiry?.refreshTokens?.validIfNotUsedFor, 2160 * 3600)

  const provider: Provider = new ProviderClass(config.issuer, {
    clients: (config.staticClients ?? []).map((c) => ({
      client_id: c.id,
      client_name: c.name,
      ...(c.public ? {application_type: 'native', token_endpoint_auth_method: 'none'} : {client_secret: c.secret, token_endpoint_auth_method: 'client_secret_basic'}),
      grant_types: grantTypes,
      redirect_uris: c.redirectURIs?.filter((u) => /^https?:\/\//.test(u)) ?? ['http://127.0.0.1/callback'],
      response_types: grantTypes.includes('authorization_code') ? ['code'] : [],
    })),
    jwks: {keys: [jwk]},
    cookies: {keys: [randomBytes(32).toString('hex')]},
    claims: {openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'], groups: ['groups']},
    scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
    // Dex puts the scope's claims in the ID token: the bearer prismctl sends carries email and groups.
    conformIdTokenClaims: false,
    findAccount: (_ctx: unknown, id: string) => {
      const user = byId.get(id)
      return user ? {accountId: id, claims: () => claimsOf(user)} : undefined
    },
    routes: {authorization: '/auth', token: '/token', jwks: '/keys', userinfo: '/userinfo', device_authorization: '/device/code', code_verification: '/device'},
    interactions: {url: (_ctx: unknown, interaction: {uid: string}) => `${base}/interaction/${interaction.uid}`},
    features: {
      devInteractions: {enabled: false},
      revocation: {enabled: false},
      deviceFlow: {
        enabled: true,
        userCodeInputSource: (ctx: any, form: string, _out: unknown, err?: {name?: string; userCode?: string}) => {
          ctx.body = deviceInputPage(form, err ? (err.userCode || err.name === 'NoCodeError' ? 'That code is not valid. Try again.' : 'The request failed; start over.') : undefined)
        },
        userCodeConfirmSource: (ctx: any, form: string, client: {clientName?: string; clientId: string}, _info: unknown, userCode: string) => {
          ctx.body = deviceConfirmPage(form, client.clientName ?? client.clientId, userCode)
        },
        successSource: (ctx: any) => {
          ctx.body = successPage()
        },
      },
    },
    clientBasedCORS: () => false,
    issueRefreshToken: (_ctx: unknown, client: {grantTypeAllowed(g: string): boolean}) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    pkce: {required: () => false},
    renderError: (ctx: any, out: {error: string; error_description?: string}) => {
      ctx.type = 'html'
      ctx.body = page('Something went wrong', `<p class="err">${escapeHtml(`${out.error}: ${out.error_description ?? ''}`)}</p>`)
    },
    ttl: {
      IdToken: idTokenTtl,
      AccessToken: idTokenTtl,
      DeviceCode: goDurationSeconds(config.expiry?.deviceRequests, 300),
      RefreshToken: refreshTtl,
      Grant: refreshTtl,
      Session: refreshTtl,
      Interaction: 600,
    },
  })

  // Dex answers the device authorization with an interval of 5 s; oidc-provider sends none.
  provider.on('device_authorization.success', (_ctx: unknown, body: {interval?: number}) => {
    body.interval = 5
  })
  provider.on('server_error', (_ctx: unknown, err: Error) => log(`issuer: server error: ${redact(err.message)}`))

  if (grantTypes.includes('password')) {
    registerPasswordGrant(provider, {
      invalidGrant: errors.InvalidGrant,
      async verify(username, password) {
        const user = await verify(username, password)
        return user ? {accountId: user.userID, claims: claimsOf(user)} : undefined
      },
      // Dex issues refresh tokens only to offline_access.
      refreshTokenFor: (scope) => scope.split(' ').includes('offline_access'),
    })
  }

  const callback = provider.callback()

  async function grantAll(details: InteractionDetails): Promise<string> {
    const {missingOIDCScope, missingOIDCClaims} = details.prompt.details as {missingOIDCScope?: string[]; missingOIDCClaims?: string[]}
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({accountId: details.session?.accountId, clientId: details.params.client_id})
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '))
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims)
    return grant.save()
  }

  async function interaction(req: IncomingMessage, res: ServerResponse, action: string): Promise<void> {
    const details = await provider.interactionDetails(req, res)
    if (details.prompt.name === 'consent') {
      // skipApprovalScreen: a first-party CLI; grant what was asked for without a page.
      await provider.interactionFinished(req, res, {consent: {grantId: await grantAll(details)}}, {mergeWithLastSubmission: true})
      return
    }
    if (req.method !== 'POST') return send(res, 200, loginPage(action))
    const form = await readForm(req)
    const email = form.get('login') ?? ''
    const user = await verify(email, form.get('password') ?? '')
    if (!user) return send(res, 401, loginPage(action, 'Invalid email or password.', email))
    log(`issuer: ${user.email} logged in`)
    await provider.interactionFinished(req, res, {login: {accountId: user.userID}}, {mergeWithLastSubmission: false})
  }

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!
    if (path === `${base}/healthz`) return send(res, 200, 'Health check passed', 'text/plain')
    if (path.startsWith(`${base}/interaction/`)) {
      interaction(req, res, path).catch((err: Error) => {
        log(`issuer: interaction failed: ${err.message}`)
        if (!res.headersSent) send(res, 400, page('Log in failed', '<p class="err">This login has expired or is unknown; start over from prismctl.</p>'))
      })
      return
    }
    if (path === base || path.startsWith(`${base}/`)) {
      // Mounted under the issuer's path: oidc-provider builds its URLs from originalUrl minus url.
      Object.assign(req, {originalUrl: req.url})
      req.url = req.url!.slice(base.length) || '/'
      return callback(req, res)
    }
    send(res, 404, 'not found', 'text/plain')
  })
  const {host, port} = listenAddress(config)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const bound = server.address() as {port: number}
  return {
    issuer: config.issuer,
    address: `${host}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
