/**
 * Who is calling, and what they may do. The server takes any Authenticator, so the JWT verifier plugs in beside
 * the anonymous one used with `--auth none`.
 */
import {PrismError} from '../errors.js'

/** Each of these can do everything the ones before it can. */
const RANKED = ['viewer', 'operator', 'admin'] as const
/**
 * `proxy` stands apart from the rank: a proxy's own identity. It reads what a viewer reads, gets Watch with static
 * credentials in clear, and renews leases; it writes nothing, and no other role implies it (admin included).
 */
export const ROLES = [...RANKED, 'proxy'] as const
export type Role = (typeof ROLES)[number]

export interface Principal {
  /** email, else subject */
  name: string
  subject: string
  email?: string
  groups: string[]
  roles: Role[]
  issuer?: string
  /** When the token expires (epoch ms); absent without a token (--auth none). Sessions end by then. */
  expiresAt?: number
}

export interface Authenticator {
  readonly enabled: boolean
  /** Throws a PrismError with code UNAUTHENTICATED when the credentials are missing or invalid. */
  authenticate(authorization: string | undefined): Promise<Principal>
}

const ANONYMOUS: Principal = Object.freeze({name: 'anonymous', subject: 'anonymous', groups: [], roles: ['admin', 'proxy']}) as Principal

/** `--auth none`: everyone is an admin, and a proxy too (so a local proxy works with --auth none on both sides). */
export const anonymousAuthenticator: Authenticator = {
  enabled: false,
  authenticate: async () => ANONYMOUS,
}

function grants(role: Role, needed: Role): boolean {
  if (role === 'proxy' || needed === 'proxy') return role === needed || needed === 'viewer'
  return RANKED.indexOf(role) >= RANKED.indexOf(needed)
}

export const hasRole = (principal: Principal, needed: Role): boolean => principal.roles.some((r) => grants(r, needed))

/** Throws PERMISSION_DENIED unless one of the principal's roles grants `needed`. */
export function requireRole(principal: Principal, needed: Role, action: string): void {
  if (hasRole(principal, needed)) return
  const has = principal.roles.length > 0 ? `has ${principal.roles.join(', ')}` : 'has no role'
  throw new PrismError(`${action} needs the ${needed} role; ${principal.name} ${has}`, {
    code: 'PERMISSION_DENIED',
    hint: `Ask an administrator to add you to a group mapped to the ${needed} role.`,
  })
}
