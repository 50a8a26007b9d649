/**
 * `prismctl proxy serve`: the authenticator for callers, the control-plane client the proxy follows (it logs in
 * like any client: PRISM_TOKEN, or the context's stored login, refreshed unattended), then run until SIGTERM/SIGINT.
 */
import {hostname} from 'node:os'
import {randomBytes} from 'node:crypto'

import {connectAdmin} from '../api/admin-client.js'
import type {BearerLookup} from '../api/channel.js'
import {optionalBearer} from '../auth/session.js'
import {transportNote, type ServerTls, type TransportLimits} from '../api/server-transport.js'
import {resolveContext, type ResolvedContext} from '../config/contexts.js'
import {anonymousAuthenticator, type Authenticator} from '../controlplane/authn.js'
import {usageError} from '../errors.js'

export interface ProxyServeOptions {
  context?: string
  adminEndpoint?: string
  /** How to reach the control plane, beating the context's settings. */
  adminTls?: {tls?: boolean; caFile?: string; certFile?: string; keyFile?: string; insecurePlaintext?: boolean}
  listen: string
  metricsListen: string
  auth: 'none' | 'oidc'
  issuer?: string
  audience?: string
  jwksUrl?: string
  proxyId?: string
  version: string
  drainMs?: number
  /** The proxy's own token for the control plane; default PRISM_TOKEN or the context's stored login. */
  bearer?: BearerLookup
  /** Backends' Vault-held credentials: the address, and VAULT_TOKEN or a JWT login role (with the proxy's own token). */
  vault?: {address: string; token?: string; role?: string}
  /** Log in as this user of `issuer` with the password grant (a container of the dev stack); overrides bearer. */
  login?: {email: string; password?: string; reachAt?: string}
  /** The control plane to follow, already resolved (the dev stack's); default: from context and adminEndpoint. */
  controlPlane?: ResolvedContext
  tls?: ServerTls
  transportLimits?: Partial<TransportLimits>
}

export interface ProxyServeIO {
  out(line: string): void
  warn(line: string): void
}

const PROXY_ID = /^[A-Za-z0-9._:-]{1,128}$/

async function authenticatorFor(options: ProxyServeOptions, io: ProxyServeIO): Promise<Authenticator> {
  if (options.auth === 'none') {
    io.warn('WARNING: --auth none: this proxy serves ANY caller without a token and enforces no namespace auth policy. Use it only on a trusted machine.')
    return anonymousAuthenticator
  }
  if (!options.issuer) throw usageError('--auth oidc needs --issuer', 'e.g. --issuer http://localhost:5556/dex --audience prismctl')
  const {createJwtAuthenticator} = await import('../jwt/verifier.js')
  return createJwtAuthenticator({issuer: options.issuer, audience: options.audience ?? 'prismctl', jwksUrl: options.jwksUrl})
}

export function defaultProxyId(): string {
  return `${hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64)}-${randomBytes(3).toString('hex')}`
}

async function bearerFor(options: ProxyServeOptions, io: ProxyServeIO): Promise<BearerLookup | undefined> {
  const login = options.login
  if (!login) return options.bearer
  if (!options.issuer) throw usageError('--login needs --issuer', 'The proxy logs in at the issuer its callers use.')
  if (!login.password) throw usageError('--login needs the password in PRISM_LOGIN_PASSWORD', 'Set it in the environment of the proxy (never on the command line).')
  const {passwordBearer} = await import('../auth/password-bearer.js')
  return passwordBearer({issuer: options.issuer, email: login.email, password: login.password, ...(login.reachAt ? {reachAt: login.reachAt} : {}), log: io.warn})
}

async function vaultClient(v: NonNullable<ProxyServeOptions['vault']>, jwt: () => Promise<string | undefined>) {
  if (!v.token && !v.role) throw usageError('--vault-addr needs VAULT_TOKEN or --vault-role', 'A token: VAULT_TOKEN in the environment. A JWT login with the proxy\'s own token: --vault-role ROLE.')
  const {VaultClient} = await import('./vault.js')
  return new VaultClient({address: v.address, ...(v.token ? {token: v.token} : {jwtLogin: {role: v.role!, jwt}})})
}

export interface StartedProxy {
  address: string
  metricsAddress: string
  proxyId: string
  /** Ends streams, releases the lease, waits up to drainMs for calls in flight, then disconnects. */
  shutdown(): Promise<void>
}

/** Starts the proxy following the control plane; the caller decides when to shut it down. */
export async function startProxy(options: ProxyServeOptions, io: ProxyServeIO): Promise<StartedProxy> {
  const proxyId = options.proxyId ?? defaultProxyId()
  if (!PROXY_ID.test(proxyId)) throw usageError(`invalid --proxy-id "${proxyId}"`, 'Use letters, digits, ".", "_", ":" and "-" (at most 128).')
  const authenticator = await authenticatorFor(options, io)
  const ctx = options.controlPlane ?? resolveContext({context: options.context, adminEndpoint: options.adminEndpoint, ...options.adminTls})
  const bearer = (await bearerFor(options, io)) ?? optionalBearer
  const admin = await connectAdmin(ctx, {bearer})
  const vault = options.vault ? await vaultClient(options.vault, async () => (await bearer(ctx)) ?? undefined) : undefined
  const {createProxyServer} = await import('./server.js')
  let proxy
  try {
    proxy = await createProxyServer({admin, authenticator, listen: options.listen, metricsListen: options.metricsListen, proxyId, version: options.version, log: io.warn, tls: options.tls, transportLimits: options.transportLimits, ...(vault ? {vault} : {})})
  } catch (err) {
    admin.close()
    throw err
  }
  io.out(`proxy listening on ${proxy.address}${transportNote(options.tls)}`)
  io.warn(`proxy ${proxyId}: metrics on http://${proxy.metricsAddress}/metrics; following the control plane at ${ctx.adminEndpoint}${ctx.tls ? ' (TLS)' : ''}`)
  const running = proxy
  return {address: proxy.address, metricsAddress: proxy.metricsAddress, proxyId, shutdown: () => running.shutdown(options.drainMs ?? 10_000)}
}

export async function serveProxy(options: ProxyServeOptions, io: ProxyServeIO): Promise<{address: string; metricsAddress: string; proxyId: string}> {
  const proxy = await startProxy(options, io)
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'))
    process.once('SIGINT', () => resolve('SIGINT'))
  })
  io.warn(`${signal}: draining`)
  await proxy.shutdown()
  io.warn('proxy stopped')
  return {address: proxy.address, metricsAddress: proxy.metricsAddress, proxyId: proxy.proxyId}
}
