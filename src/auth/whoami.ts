/**
 * `prismctl whoami`: what the local token says (issuer, subject, groups, expiry, where it is stored) and, when the
 * control plane answers, the roles it grants. An unreachable control plane is reported, not an error.
 */
import type {ResolvedContext} from '../config/contexts.js'
import {PrismError} from '../errors.js'
import {decodeJwt, identityOf} from './jwt-claims.js'
import {type BearerSource, getBearer} from './session.js'

export interface WhoAmI {
  context: string
  source: BearerSource
  issuer?: string
  subject?: string
  email?: string
  groups: string[]
  expiresAt?: string
  tokenFile?: string
  controlPlane: {endpoint: string; reachable: boolean; authEnabled?: boolean; principal?: string; roles?: string[]; error?: string}
}

export async function whoami(context: ResolvedContext, env: NodeJS.ProcessEnv = process.env): Promise<WhoAmI> {
  const bearer = await getBearer(context, env)
  const claims = decodeJwt(bearer.token) ?? {}
  const exp = typeof claims.exp === 'number' ? new Date(claims.exp * 1000).toISOString() : bearer.tokens?.expiresAt
  const result: WhoAmI = {
    context: context.name,
    source: bearer.source,
    issuer: claims.iss ?? bearer.tokens?.issuer,
    ...identityOf(claims),
    expiresAt: exp,
    tokenFile: bearer.path,
    controlPlane: {endpoint: context.adminEndpoint, reachable: false},
  }
  const {connectAdmin} = await import('../api/admin-client.js')
  const client = await connectAdmin(context, {bearer: () => bearer.token, timeoutMs: 5000})
  try {
    const me = await client.call('whoAmI', {})
    result.controlPlane = {endpoint: context.adminEndpoint, reachable: true, authEnabled: me.authEnabled, principal: me.principal, roles: [...me.roles]}
  } catch (err) {
    const code = err instanceof PrismError ? err.code : 'INTERNAL'
    // The server answered but refused us: that is worth saying as such.
    result.controlPlane = {endpoint: context.adminEndpoint, reachable: code !== 'UNAVAILABLE' && code !== 'DEADLINE_EXCEEDED', error: (err as Error).message}
  } finally {
    client.close()
  }
  return result
}
