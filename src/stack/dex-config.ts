/**
 * Dex's config for the dev stack, in Dex's own field names (cmd/dex/config.go, v2.45: static users carry `groups`),
 * rendered as YAML; and the reader the embedded issuer uses, so one file configures both issuers. See
 * reference/stack-images.md §1.4–1.7 for the fields and why the client is public.
 */
import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'

import {parse, stringify} from 'yaml'

import {PrismError, yamlErrorLine} from '../errors.js'
import {TEST_USERS, type TestUser} from './test-users.js'

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
export const DEX_PORT = 5556

export interface DexStaticClient {
  id: string
  name?: string
  public?: boolean
  secret?: string
  redirectURIs?: string[]
}

export interface DexStaticPassword {
  email: string
  hash: string
  username: string
  userID: string
  groups?: string[]
}

export interface DexConfig {
  issuer: string
  storage: {type: string; config?: Record<string, unknown>}
  web: {http?: string; https?: string}
  logger?: {level?: string; format?: string}
  expiry?: {deviceRequests?: string; idTokens?: string; refreshTokens?: {validIfNotUsedFor?: string; absoluteLifetime?: string}}
  oauth2?: {skipApprovalScreen?: boolean; responseTypes?: string[]; grantTypes?: string[]; passwordConnector?: string}
  enablePasswordDB?: boolean
  staticClients?: DexStaticClient[]
  staticPasswords?: DexStaticPassword[]
}

export interface DexRenderOptions {
  /** Default http://localhost:5556/dex: what tokens say in `iss`, on the host and in containers alike. */
  issuer?: string
  /** web.http: 127.0.0.1:5556 for the embedded stack, 0.0.0.0:5556 inside a container. */
  listen?: string
  users?: readonly TestUser[]
}

/**
 * A bcrypt `$2a$10$` hash whose salt is derived from the user's email, so the rendered file is the same on every
 * render (the Docker stack hashes a service's settings to decide whether to replace it). `$2a$`, not bcryptjs's
 * `$2b$` default: Go's bcrypt (Dex) is only known to accept the former.
 */
export async function devPasswordHash(user: Pick<TestUser, 'email' | 'password'>): Promise<string> {
  const {encodeBase64, hash} = await import('bcryptjs')
  const seed = createHash('sha256').update(`prism-dev-salt:${user.email}`).digest().subarray(0, 16)
  return hash(user.password, `$2a$10$${encodeBase64(seed, 16)}`)
}

export async function dexConfig(options: DexRenderOptions = {}): Promise<DexConfig> {
  const users = options.users ?? TEST_USERS
  return {
    issuer: options.issuer ?? `http://localhost:${DEX_PORT}/dex`,
    // Memory, like the upstream dev config: signing keys and sessions last as long as the process.
    storage: {type: 'memory'},
    web: {http: options.listen ?? `0.0.0.0:${DEX_PORT}`},
    logger: {level: 'info', format: 'text'},
    expiry: {deviceRequests: '5m', idTokens: '1h', refreshTokens: {validIfNotUsedFor: '2160h'}},
    oauth2: {
      skipApprovalScreen: true,
      responseTypes: ['code'],
      grantTypes: ['authorization_code', 'refresh_token', 'password', DEVICE_CODE_GRANT],
      // Without it Dex silently drops the password grant.
      passwordConnector: 'local',
    },
    enablePasswordDB: true,
    // Public, without redirectURIs: device flow, PKCE loopback redirects, password and refresh all work (§1.6).
    staticClients: [{id: 'prismctl', name: 'Prism CLI', public: true}],
    staticPasswords: await Promise.all(users.map(async (u) => ({email: u.email, hash: u.passwordHash ?? (await devPasswordHash(u)), username: u.username, userID: u.userID, groups: [u.group]}))),
  }
}

export async function renderDexConfig(options: DexRenderOptions = {}): Promise<string> {
  const header = '# Rendered by prismctl (src/stack/dex-config.ts) for the local dev stack. Test users only; do not edit.\n'
  return header + stringify(await dexConfig(options))
}

function invalid(path: string, what: string): PrismError {
  return new PrismError(`${path}: ${what}`, {hint: 'The file is rendered by prismctl dev up; delete it to have it rendered again.'})
}

/** Reads a Dex config and checks what the embedded issuer relies on, with Dex's own validation rules. */
export function readDexConfig(path: string): DexConfig {
  let raw: unknown
  try {
    raw = parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new PrismError(`cannot read the Dex config ${path}: ${yamlErrorLine(err)}`, {cause: err})
  }
  if (!raw || typeof raw !== 'object') throw invalid(path, 'not a mapping')
  const config = raw as DexConfig
  if (typeof config.issuer !== 'string' || !config.issuer) throw invalid(path, 'issuer is required')
  if (!config.storage?.type) throw invalid(path, 'storage.type is required')
  if (!config.web?.http) throw invalid(path, 'web.http is required (the embedded issuer serves no https)')
  if (config.staticPasswords?.length && !config.enablePasswordDB) throw invalid(path, 'staticPasswords need enablePasswordDB: true')
  for (const client of config.staticClients ?? []) {
    if (!client.id) throw invalid(path, 'a static client has no id')
    if (!client.public && !client.secret) throw invalid(path, `static client ${client.id} needs a secret or public: true`)
  }
  for (const user of config.staticPasswords ?? []) {
    if (!user.email || !user.hash || !user.userID) throw invalid(path, 'every static password needs email, hash and userID')
  }
  return config
}

const GO_UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000}

/** Go's time.ParseDuration for the forms Dex configs use (`5m`, `24h`, `1h30m`), in seconds. */
export function goDurationSeconds(value: string | undefined, fallbackSec: number): number {
  if (!value) return fallbackSec
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)]
  if (parts.map((p) => p[0]).join('') !== value) throw new PrismError(`not a Go duration: "${value}"`, {hint: 'Use forms such as 5m, 24h or 1h30m.'})
  return Math.round(parts.reduce((ms, p) => ms + Number(p[1]) * GO_UNITS[p[2]!]!, 0) / 1000)
}
