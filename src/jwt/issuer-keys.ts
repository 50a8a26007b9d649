/**
 * The issuer's signing keys, for a server that must keep working while the issuer has trouble, and must not
 * hammer it. Discovery and the JWKS are fetched through one single-flight attempt at a time:
 *   - keys are refreshed in the background once they are KEY_REFRESH_MS old; the known ones keep verifying tokens
 *     while the issuer is down, for up to MAX_KEY_AGE_MS after the last successful fetch;
 *   - a failed attempt is remembered and the next one waits (RETRY_MIN_MS, doubling up to RETRY_MAX_MS), so a flood
 *     of tokens during an outage makes no fetches of its own;
 *   - a token with an unknown `kid` (a rotated-in key, or garbage) triggers at most one refetch per cooldown.
 * A token that cannot be checked because the issuer cannot be reached is UNAVAILABLE, never the caller's fault.
 */
import type {CryptoKey, FlattenedJWSInput, JSONWebKeySet, JWSHeaderParameters, KeyObject} from 'jose'

import {PrismError} from '../errors.js'

/** Known keys older than this are refreshed (in the background: they keep working meanwhile). */
export const KEY_REFRESH_MS = 10 * 60_000
/** While the issuer cannot be reached, known keys keep verifying tokens for this long after the last good fetch. */
export const MAX_KEY_AGE_MS = 24 * 60 * 60_000
/** After a failed fetch, the next attempt waits this long, doubling with each failure up to RETRY_MAX_MS. */
export const RETRY_MIN_MS = 1000
export const RETRY_MAX_MS = 60_000
const FETCH_TIMEOUT_MS = 5000

export interface IssuerKeysOptions {
  issuer: string
  /** Where the keys are; discovered from the issuer (once, then remembered) when absent. */
  jwksUrl?: string
  /** Minimum time between two fetches triggered by an unknown `kid`. */
  cooldownMs: number
  now: () => number
}

type KeySelector = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey | KeyObject>

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, {signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: {accept: 'application/json'}})
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`)
  try {
    return await res.json()
  } catch {
    throw new Error(`GET ${url}: the answer is not JSON`)
  }
}

export class IssuerKeys {
  private jwksUri: string | undefined
  private keys: {select: KeySelector; fetchedAt: number} | undefined
  private lastAttemptAt = -Infinity
  private failures = 0
  private lastError = ''
  private pending: Promise<void> | undefined

  constructor(private readonly options: IssuerKeysOptions) {
    this.jwksUri = options.jwksUrl
  }

  /** For jose's jwtVerify: the key that verifies this token. */
  readonly getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey | KeyObject> => {
    const at = this.options.now()
    const age = this.keys ? at - this.keys.fetchedAt : Infinity
    if (age > MAX_KEY_AGE_MS) await this.refresh(at).catch(() => Promise.reject(this.unavailable(this.keys ? `the keys fetched last are over ${MAX_KEY_AGE_MS / 3_600_000} h old` : '')))
    else if (age > KEY_REFRESH_MS) this.refresh(at).catch(() => {})
    try {
      return await this.keys!.select(header, token)
    } catch (err) {
      if ((err as {code?: string}).code !== 'ERR_JWKS_NO_MATCHING_KEY') throw err
      // An unknown kid: perhaps the issuer rotated its keys. Look again, at most once per cooldown.
      if (at - this.lastAttemptAt < this.options.cooldownMs) {
        if (this.failures > 0) throw this.unavailable("the token's key id is not among the keys fetched last")
        throw err
      }
      await this.refresh(at).catch(() => Promise.reject(this.unavailable("the token's key id is not among the keys fetched last")))
      return this.keys!.select(header, token)
    }
  }

  /** One attempt at a time; none while backing off after a failure (then: UNAVAILABLE). */
  private refresh(at: number): Promise<void> {
    if (this.pending) return this.pending
    if (this.failures > 0 && at < this.lastAttemptAt + Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (this.failures - 1))) return Promise.reject(this.unavailable())
    this.lastAttemptAt = at
    this.pending = this.fetchKeys()
      .then(
        (keys) => {
          this.keys = keys
          this.failures = 0
        },
        (err: unknown) => {
          this.failures++
          this.lastError = (err as Error).message
          throw this.unavailable()
        },
      )
      .finally(() => {
        this.pending = undefined
      })
    return this.pending
  }

  private async fetchKeys(): Promise<{select: KeySelector; fetchedAt: number}> {
    const uri = this.jwksUri ?? (await this.discover())
    const {createLocalJWKSet} = await import('jose')
    // createLocalJWKSet checks the document's shape: a malformed JWKS is a failed fetch like any other.
    const select = createLocalJWKSet((await getJson(uri)) as JSONWebKeySet)
    return {select, fetchedAt: this.options.now()}
  }

  private async discover(): Promise<string> {
    const {issuer} = this.options
    const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`
    const body = (await getJson(url)) as {issuer?: unknown; jwks_uri?: unknown}
    if (body.issuer !== issuer) throw new Error(`the discovery document at ${url} names issuer "${String(body.issuer)}", expected "${issuer}"`)
    if (typeof body.jwks_uri !== 'string' || !body.jwks_uri) throw new Error(`the discovery document at ${url} has no jwks_uri`)
    this.jwksUri = body.jwks_uri
    return body.jwks_uri
  }

  private unavailable(why = ''): PrismError {
    return new PrismError(`the token cannot be verified now: the issuer ${this.options.issuer} cannot be reached (${this.lastError})${why ? `, and ${why}` : ''}`, {
      code: 'UNAVAILABLE',
      hint: 'This is not a problem with your login: retry shortly. If it persists, the server operator should check that the server reaches the issuer (--issuer, --jwks-url).',
    })
  }
}
