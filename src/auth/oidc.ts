/**
 * The OIDC conversations of the CLI, through openid-client v6 (imported lazily: only login, refresh and logout
 * need it). Every error becomes a PrismError that says what failed and what to do; no token or secret is ever
 * part of a message.
 */
import type {Configuration, CustomFetch, DeviceAuthorizationResponse, TokenEndpointResponse} from 'openid-client'

import {PrismError, usageError} from '../errors.js'
import {debug} from '../ui/debug.js'
import {decodeJwt, isJwt} from './jwt-claims.js'
import type {GrantKind, StoredTokens} from './token-store.js'

export interface IssuerSettings {
  issuer: string
  clientId: string
  /** Only for confidential clients (client credentials). */
  clientSecret?: string
  /** Allow plain http:// to a non-loopback issuer. */
  insecure?: boolean
  /**
   * Where this process reaches the issuer when not at the issuer's own URL: in a container of the dev stack,
   * http://dex:5556/dex for tokens that say http://localhost:5556/dex. Endpoints are rewritten to it.
   */
  reachAt?: string
}

export interface Issuer {
  config: Configuration
  client: typeof import('openid-client')
  settings: IssuerSettings
}

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h)
}

/** http:// is allowed for loopback issuers (the dev stack's Dex) and otherwise only with --insecure. */
export function checkIssuerUrl(issuer: string, insecure = false): URL {
  let url: URL
  try {
    url = new URL(issuer)
  } catch {
    throw usageError(`the issuer "${issuer}" is not a URL`, 'Set it with: prismctl context set NAME --issuer https://…')
  }
  if (url.protocol === 'https:') return url
  if (url.protocol !== 'http:') throw usageError(`the issuer ${issuer} must be an http(s) URL`)
  if (!insecure && !isLoopbackHost(url.hostname)) {
    throw usageError(`refusing plain http:// for the non-loopback issuer ${issuer}`, 'Use an https:// issuer, or pass --insecure if you really mean it (tokens would travel in clear text).')
  }
  return url
}

/**
 * The OAuth `error` of a failed call, whether it came in the JSON body or, with HTTP 401, in a WWW-Authenticate
 * challenge (client authentication failures).
 */
export function oauthError(err: unknown): {error?: string; error_description?: string} {
  const e = err as {error?: string; error_description?: string; cause?: unknown}
  if (e?.error) return {error: e.error, error_description: e.error_description}
  const challenge = Array.isArray(e?.cause) ? (e.cause[0] as {parameters?: {error?: string; error_description?: string}}) : undefined
  return challenge?.parameters?.error ? {error: challenge.parameters.error, error_description: challenge.parameters.error_description} : {}
}

/** Turns what openid-client throws into a PrismError. */
function oidcError(err: unknown, doing: string, issuer: string): PrismError {
  if (err instanceof PrismError) return err
  const e = err as {name?: string; code?: string; message?: string; cause?: {code?: string; message?: string}}
  const oauth = oauthError(err)
  if (oauth.error) {
    const description = oauth.error_description ? `: ${oauth.error_description}` : ''
    return new PrismError(`${doing} failed at ${issuer}: ${oauth.error}${description}`, {code: oauth.error === 'invalid_grant' || oauth.error === 'invalid_client' ? 'UNAUTHENTICATED' : 'FAILED_PRECONDITION', cause: err})
  }
  if (e.name === 'TypeError' || e.code === 'OAUTH_TIMEOUT' || e.cause?.code === 'ECONNREFUSED') {
    const why = e.cause?.code ?? e.cause?.message ?? e.message
    return new PrismError(`${doing} failed: cannot reach the OIDC issuer ${issuer} (${why})`, {
      code: 'UNAVAILABLE',
      hint: 'Check the issuer URL (prismctl context set NAME --issuer URL, or --issuer) and that the issuer is up and reachable from here.',
      cause: err,
    })
  }
  return new PrismError(`${doing} failed at ${issuer}: ${e.message ?? String(err)}`, {code: 'FAILED_PRECONDITION', cause: err})
}

/** Discovery at settings.reachAt: the document must still name settings.issuer; its endpoints move to reachAt. */
async function discoverAt(client: typeof import('openid-client'), settings: IssuerSettings, auth: import('openid-client').ClientAuth): Promise<Configuration> {
  const from = settings.issuer.replace(/\/$/, '')
  const to = settings.reachAt!.replace(/\/$/, '')
  const res = await fetch(`${to}/.well-known/openid-configuration`, {signal: AbortSignal.timeout(15_000)})
  if (!res.ok) throw new PrismError(`OIDC discovery at ${to} answered HTTP ${res.status}`, {code: 'UNAVAILABLE', hint: 'Check that the issuer is up and reachable at that address.'})
  const metadata = (await res.json()) as Record<string, unknown>
  if (metadata.issuer !== settings.issuer) {
    throw Object.assign(new Error('issuer mismatch'), {code: 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED'})
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (key !== 'issuer' && typeof value === 'string' && value.startsWith(from)) metadata[key] = to + value.slice(from.length)
  }
  const config = new client.Configuration(metadata as unknown as import('openid-client').ServerMetadata, settings.clientId, undefined, auth)
  if (to.startsWith('http:')) client.allowInsecureRequests(config)
  return config
}

export async function discover(settings: IssuerSettings): Promise<Issuer> {
  const url = checkIssuerUrl(settings.issuer, settings.insecure)
  const client = await import('openid-client')
  const auth = settings.clientSecret === undefined ? client.None() : client.ClientSecretBasic(settings.clientSecret)
  debug(`discovering ${settings.issuer} (client ${settings.clientId})`)
  try {
    if (settings.reachAt) return {config: await discoverAt(client, settings, auth), client, settings}
    const config = await client.discovery(url, settings.clientId, undefined, auth, {
      execute: url.protocol === 'http:' ? [client.allowInsecureRequests] : [],
      timeout: 15,
    })
    return {config, client, settings}
  } catch (err) {
    if ((err as {code?: string}).code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED') {
      throw new PrismError(`the discovery document of ${settings.issuer} names a different issuer`, {
        code: 'FAILED_PRECONDITION',
        hint: 'Use the issuer string exactly as the provider spells it (scheme, host, port, path, trailing slash): prismctl context set NAME --issuer URL',
        cause: err,
      })
    }
    throw oidcError(err, 'OIDC discovery', settings.reachAt ?? settings.issuer)
  }
}

/**
 * The bearer for our servers is the ID token (audience = client id). Without one (client credentials), a JWT
 * access token is used instead, on the assumption that the provider issues it with our client id as audience.
 */
function toStoredTokens(issuer: Issuer, grant: GrantKind, response: TokenEndpointResponse, previous?: StoredTokens): StoredTokens {
  const idToken = response.id_token ?? undefined
  const accessToken = response.access_token
  const bearer = idToken ?? (isJwt(accessToken) ? accessToken : undefined)
  if (!bearer) {
    throw new PrismError(`the issuer ${issuer.settings.issuer} returned neither an ID token nor a JWT access token`, {
      code: 'FAILED_PRECONDITION',
      hint: grant === 'client_credentials'
        ? 'Configure the provider to issue JWT access tokens with audience = the client id for this service account.'
        : 'Request the "openid" scope (prismctl context set NAME --scopes "openid profile email groups offline_access").',
    })
  }
  const exp = decodeJwt(bearer)?.exp
  const expiresAt = exp !== undefined ? new Date(exp * 1000) : response.expires_in !== undefined ? new Date(Date.now() + response.expires_in * 1000) : undefined
  return {
    version: 1,
    issuer: issuer.settings.issuer,
    clientId: issuer.settings.clientId,
    grant,
    ...(issuer.settings.insecure ? {insecure: true} : {}),
    bearer,
    idToken,
    accessToken,
    // Providers that do not rotate refresh tokens return none on refresh: keep the one we have.
    refreshToken: response.refresh_token ?? previous?.refreshToken,
    scope: response.scope ?? previous?.scope,
    expiresAt: expiresAt?.toISOString(),
    obtainedAt: new Date().toISOString(),
  }
}

export interface DevicePrompt {
  verificationUri: string
  verificationUriComplete?: string
  userCode: string
  expiresIn: number
}

/**
 * RFC 8628. openid-client polls at the server's interval, adds 5 s on `slow_down`, keeps waiting on
 * `authorization_pending` whatever the HTTP status (older Dex answers it with 401), and stops on `signal`.
 */
export async function deviceCodeLogin(issuer: Issuer, scopes: string, onPrompt: (prompt: DevicePrompt) => void | Promise<void>, signal?: AbortSignal): Promise<StoredTokens> {
  const {client, config, settings} = issuer
  config[client.customFetch] = errorFieldIsAuthoritative()
  if (!config.serverMetadata().device_authorization_endpoint) {
    throw new PrismError(`the issuer ${settings.issuer} does not support the device code flow`, {
      code: 'FAILED_PRECONDITION',
      hint: 'Use --username (password grant) or --client-credentials, or enable the device flow at the provider.',
    })
  }
  let response: DeviceAuthorizationResponse
  try {
    response = await client.initiateDeviceAuthorization(config, {scope: scopes})
  } catch (err) {
    throw oidcError(err, 'starting the device login', settings.issuer)
  }
  debug(`device authorization: interval=${response.interval ?? '(default 5)'} expires_in=${response.expires_in}`)
  await onPrompt({verificationUri: response.verification_uri, verificationUriComplete: response.verification_uri_complete, userCode: response.user_code, expiresIn: response.expires_in})
  // Bounded by the code's lifetime even when the caller passes its own (Ctrl-C) signal.
  const expiry = AbortSignal.timeout(response.expires_in * 1000 + 2000)
  const pollSignal = signal ? AbortSignal.any([signal, expiry]) : expiry
  try {
    const tokens = await client.pollDeviceAuthorizationGrant(config, response, undefined, {signal: pollSignal})
    return toStoredTokens(issuer, 'device_code', tokens)
  } catch (err) {
    const e = oauthError(err)
    if (signal?.aborted) throw new PrismError('login cancelled', {code: 'CANCELLED', hint: 'Nothing was saved. Run prismctl login again when ready.'})
    if (e.error === 'expired_token' || expiry.aborted) {
      throw new PrismError('the device code expired before the login was approved', {code: 'DEADLINE_EXCEEDED', hint: 'Run prismctl login again and approve it in the browser within the time shown.'})
    }
    if (e.error === 'access_denied') {
      throw new PrismError('the login was denied in the browser', {code: 'PERMISSION_DENIED', hint: 'Run prismctl login again and approve the request, or ask your identity provider administrator.'})
    }
    throw oidcError(err, 'device login', settings.issuer)
  }
}

/**
 * Token responses whose JSON body carries an OAuth `error` are judged by that field, never by the HTTP status:
 * Dex up to v2.43 answers `authorization_pending` with 401, and a WWW-Authenticate header on such a response
 * would make openid-client stop polling. Rewritten to the RFC 6749 form (400, no challenge).
 */
function errorFieldIsAuthoritative(): CustomFetch {
  return async (url, init) => {
    const res = await fetch(url, init as RequestInit)
    if (res.status !== 401) return res
    const body = (await res.clone().json().catch(() => undefined)) as {error?: unknown} | undefined
    if (typeof body?.error !== 'string') return res
    const headers = new Headers(res.headers)
    headers.delete('www-authenticate')
    headers.delete('content-length')
    return new Response(JSON.stringify(body), {status: 400, headers})
  }
}

/** Resource owner password grant: for local test users only (Dex's static passwords). */
export async function passwordLogin(issuer: Issuer, scopes: string, username: string, password: string): Promise<StoredTokens> {
  try {
    const tokens = await issuer.client.genericGrantRequest(issuer.config, 'password', {username, password, scope: scopes})
    return toStoredTokens(issuer, 'password', tokens)
  } catch (err) {
    const {error} = oauthError(err)
    if (error === 'invalid_grant') {
      throw new PrismError(`the issuer ${issuer.settings.issuer} rejected the username or password`, {code: 'UNAUTHENTICATED', hint: 'Check the credentials. Dex expects the email address as the username.'})
    }
    if (error === 'unsupported_grant_type' || error === 'unauthorized_client') {
      throw new PrismError(`the issuer ${issuer.settings.issuer} does not allow the password grant for client ${issuer.settings.clientId}`, {code: 'FAILED_PRECONDITION', hint: 'Use the device login (prismctl login) instead.'})
    }
    throw oidcError(err, 'password login', issuer.settings.issuer)
  }
}

const USER_SCOPES = new Set(['openid', 'offline_access', 'profile', 'email', 'groups'])

export async function clientCredentialsLogin(issuer: Issuer, scopes: string): Promise<StoredTokens> {
  try {
    // User scopes make no sense for a service account; custom ones (e.g. api://prism/.default) are passed on.
    const scope = scopes.split(/\s+/).filter((s) => s && !USER_SCOPES.has(s)).join(' ')
    const tokens = await issuer.client.clientCredentialsGrant(issuer.config, scope ? {scope} : {})
    return toStoredTokens(issuer, 'client_credentials', tokens)
  } catch (err) {
    if (oauthError(err).error === 'invalid_client') {
      throw new PrismError(`the issuer ${issuer.settings.issuer} rejected the client id or secret`, {code: 'UNAUTHENTICATED', hint: 'Check PRISM_CLIENT_ID and PRISM_CLIENT_SECRET.'})
    }
    throw oidcError(err, 'client credentials login', issuer.settings.issuer)
  }
}

export async function refresh(issuer: Issuer, stored: StoredTokens): Promise<StoredTokens> {
  try {
    const tokens = await issuer.client.refreshTokenGrant(issuer.config, stored.refreshToken!)
    return toStoredTokens(issuer, stored.grant, tokens, stored)
  } catch (err) {
    throw oidcError(err, 'refreshing the token', issuer.settings.issuer)
  }
}

/** Revokes the refresh token (or the access token when there is none). Returns false if the issuer cannot revoke. */
export async function revoke(issuer: Issuer, stored: StoredTokens): Promise<boolean> {
  if (!issuer.config.serverMetadata().revocation_endpoint) return false
  const [token, hint] = stored.refreshToken ? [stored.refreshToken, 'refresh_token'] : [stored.accessToken, 'access_token']
  try {
    await issuer.client.tokenRevocation(issuer.config, token, {token_type_hint: hint})
    return true
  } catch (err) {
    throw oidcError(err, 'revoking the token', issuer.settings.issuer)
  }
}
