/**
 * Reads a JWT's payload WITHOUT verifying it: the CLI only needs its own token's expiry and identity for display
 * and refresh timing. Verification is the servers' job (src/jwt/).
 */
export interface Claims {
  iss?: string
  sub?: string
  aud?: string | string[]
  exp?: number
  iat?: number
  email?: string
  name?: string
  groups?: string[]
  [claim: string]: unknown
}

export function decodeJwt(token: string): Claims | undefined {
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'))
    return payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Claims) : undefined
  } catch {
    return undefined
  }
}

/** Who an (unverified) token says its holder is, for display; claims of the wrong type are left out. */
export function identityOf(claims: Claims): {subject?: string; email?: string; groups: string[]} {
  return {
    subject: typeof claims.sub === 'string' ? claims.sub : undefined,
    email: typeof claims.email === 'string' ? claims.email : undefined,
    groups: Array.isArray(claims.groups) ? claims.groups.filter((g): g is string => typeof g === 'string') : [],
  }
}

export function isJwt(token: string | undefined): token is string {
  return token !== undefined && decodeJwt(token) !== undefined
}
