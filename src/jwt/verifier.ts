/**
 * Server-side bearer verification for the control plane and the proxy: the CLI sends an OIDC ID token, and every
 * call is checked here against the issuer's signing keys (JWKS), issuer, audience, expiry and an algorithm
 * allow-list. Server code: never imports CLI modules.
 */
import type {JWTPayload} from 'jose'

import type {Authenticator, Principal} from '../controlplane/authn.js'
import {PrismError} from '../errors.js'
import {IssuerKeys} from './issuer-keys.js'
import {DEFAULT_ROLE_MAP, type RoleMap, rolesForGroups} from './roles.js'

/** Asymmetric algorithms only: `none` and HMAC (where a public key could be abused as the secret) are refused. */
const ALLOWED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA', 'Ed25519']

export interface JwtAuthenticatorOptions {
  issuer: string
  audience: string
  /** Where to fetch the keys; defaults to the issuer's discovery `jwks_uri`. Containers reach Dex at another address than the `iss` in its tokens. */
  jwksUrl?: string
  roleMap?: RoleMap
  clockToleranceSec?: number
  /** Minimum time between two JWKS refetches triggered by an unknown `kid` (see issuer-keys.ts for the other bounds). */
  jwksCooldownMs?: number
  /** The clock, for tests. */
  now?: () => number
}

/**
 * Verified tokens are remembered: a CLI session sends the same ID token on every call, and the verdict for the same
 * bytes cannot change before the token expires — except if the issuer withdraws its key, so no verdict is kept
 * longer than this.
 */
const VERDICT_MAX_AGE_MS = 60_000
const VERDICT_CACHE_SIZE = 1024

function unauthenticated(reason: string, hint?: string): PrismError {
  return new PrismError(`unauthenticated: ${reason}`, {code: 'UNAUTHENTICATED', hint: hint ?? 'Log in again with: prismctl login'})
}

/** Extracts the token from `Bearer <token>`; anything else is a precise error. */
function bearerToken(authorization: string | undefined): string {
  if (!authorization) throw unauthenticated('no bearer token was sent', 'Log in with: prismctl login (or set PRISM_TOKEN)')
  const match = /^bearer\s+(\S+)\s*$/i.exec(authorization)
  if (!match) throw unauthenticated('the authorization header is not "Bearer <token>"')
  return match[1]!
}

/** jose's error codes → a reason a person can act on. The token itself never appears. */
function explain(err: unknown, options: JwtAuthenticatorOptions): PrismError {
  if (err instanceof PrismError) return err
  const e = err as {code?: string; claim?: string; reason?: string; message?: string}
  switch (e.code) {
    case 'ERR_JWT_EXPIRED':
      return unauthenticated('the token has expired', 'Run any prismctl command to refresh it, or log in again: prismctl login')
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (e.claim === 'iss') return unauthenticated(`the token was issued by another issuer (expected ${options.issuer})`, 'Log in against the issuer this server trusts.')
      if (e.claim === 'aud') return unauthenticated(`the token is for another audience (expected ${options.audience})`, `Log in with client id ${options.audience}.`)
      if (e.claim === 'nbf') return unauthenticated('the token is not valid yet (nbf is in the future; check the clocks)')
      return unauthenticated(`claim "${e.claim}" is invalid: ${e.reason}`)
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return unauthenticated(`the token's signing algorithm is not allowed (allowed: ${ALLOWED_ALGORITHMS.join(', ')})`)
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return unauthenticated('the token signature is invalid')
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return unauthenticated("no signing key of the issuer matches the token's key id")
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return unauthenticated("several signing keys match the token's key id")
    case 'ERR_JWT_INVALID':
    case 'ERR_JWS_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return unauthenticated('the bearer is not a valid signed JWT')
    default:
      // Failures to reach the issuer are PrismErrors of IssuerKeys (UNAVAILABLE), passed through above.
      return unauthenticated('the token could not be verified')
  }
}

function stringArray(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string')
  return typeof value === 'string' ? [value] : []
}

function principalFromClaims(payload: JWTPayload, roleMap: RoleMap): Principal {
  const groups = stringArray(payload.groups)
  const email = typeof payload.email === 'string' && payload.email ? payload.email : undefined
  const subject = payload.sub ?? ''
  return {name: email ?? subject, subject, email, groups, roles: rolesForGroups(groups, roleMap), issuer: payload.iss, expiresAt: payload.exp! * 1000}
}

export function createJwtAuthenticator(options: JwtAuthenticatorOptions): Authenticator {
  const roleMap = options.roleMap ?? DEFAULT_ROLE_MAP
  const clockTolerance = options.clockToleranceSec ?? 30
  const now = options.now ?? Date.now
  const verdicts = new Map<string, {principal: Principal; until: number}>()
  const keys = new IssuerKeys({issuer: options.issuer, jwksUrl: options.jwksUrl, cooldownMs: options.jwksCooldownMs ?? 30_000, now})
  const verify = async (token: string, at: number): Promise<JWTPayload> => {
    // jose is a heavy import: loaded on first use (then from the module cache).
    const {jwtVerify} = await import('jose')
    const {payload} = await jwtVerify(token, keys.getKey, {
      issuer: options.issuer,
      audience: options.audience,
      algorithms: ALLOWED_ALGORITHMS,
      clockTolerance,
      currentDate: new Date(at),
      requiredClaims: ['exp', 'sub'],
    })
    return payload
  }

  return {
    enabled: true,
    async authenticate(authorization) {
      const token = bearerToken(authorization)
      const at = now()
      const known = verdicts.get(token)
      if (known && at < known.until) return known.principal
      verdicts.delete(token)
      try {
        const payload = await verify(token, at)
        const principal = principalFromClaims(payload, roleMap)
        // Map order is insertion order: the first key is the oldest verdict.
        if (verdicts.size >= VERDICT_CACHE_SIZE) verdicts.delete(verdicts.keys().next().value!)
        verdicts.set(token, {principal, until: Math.min(at + VERDICT_MAX_AGE_MS, payload.exp! * 1000)})
        return principal
      } catch (err) {
        throw explain(err, options)
      }
    },
  }
}
