/**
 * Who is calling, and what they may do. The server takes any Authenticator, so the JWT verifier plugs in beside
 * the anonymous one used with `--auth none`.
 */
import {PrismError} from '../errors.js'

/** Each role can do everything the roles before it can. */
export const ROLES = ['viewer', 'operator', 'admin'] as const
export type Role = (typeof ROLES)[number]

export interface Principal {
  /** email, else subject */
  name: string
  subject: string
  email?: string
  groups: string[]
  roles: Role[]
  issuer?: string
}

export interface Authenticator {
  readonly enabled: boolean
  /** Throws a PrismError with code UNAUTHENTICATED when the credentials are missing or invalid. */
  authenticate(authorization: string | undefined): Promise<Principal>
}

const ANONYMOUS: Principal = Object.freeze({name: 'anonymous', subject: 'anonymous', groups: [], roles: ['admin']}) as Principal

/** `--auth none`: everyone is an admin. */
export const anonymousAuthenticator: Authenticator = {
  enabled: false,
  authenticate: async () => ANONYMOUS,
}

/** Throws PERMISSION_DENIED unless one of the principal's roles is at least `needed`. */
export function requireRole(principal: Principal, needed: Role, action: string): void {
  if (principal.roles.some((r) => ROLES.indexOf(r) >= ROLES.indexOf(needed))) return
  const has = principal.roles.length > 0 ? `has ${principal.roles.join(', ')}` : 'has no role'
  throw new PrismError(`${action} needs the ${needed} role; ${principal.name} ${has}`, {
    code: 'PERMISSION_DENIED',
    hint: `Ask an administrator to add you to a group mapped to the ${needed} role.`,
  })
}
