/**
 * `prismctl whoami`: what the local token says (issuer, subject, groups, expiry, where it is stored) and, when the
 * control plane answers, the roles it grants. An unreachable control plane is reported, not an error.
 */
import type {ResolvedContext} from '../config/contexts.js'
import {PrismError} from '../errors.js'
import {decodeJwt, identityOf} from './jwt-claims.js'
import {type BearerSource, getBearer, hasLogin} from './session.js'

export interface WhoAmI {
  context: string
  /** 'none': not logged in, and the control plane answered anyway (it runs with --auth none). */
  source: BearerSource | 'none'
  issuer?: string
  subject?: string
  email?: string
  groups: string[]
  expiresAt?: string
  tokenFile?: string
  controlPlane: {endpoint: string; reachable: boolean; authEnabled?: boolean; principal?: string; roles?: string[]; error?: string}
}

export async function whoami(context: ResolvedContext, env: NodeJS.ProcessEnv = process.env): Promise<WhoAmI> {
  // Without a login the control plane is still asked: one running with --auth none grants admin to everyone.
  if (!hasLogin(context, env)) {
    const controlPlane = await askControlPlane(context, undefined)
    if (!controlPlane.roles || controlPlane.authEnabled) await getBearer(context, env) // throws "not logged in"
    return {context: context.name, source: 'none', groups: [], controlPlane}
  }
  const bearer = await getBearer(context, env)
  const claims = decodeJwt(bearer.token) ?? {}
  const exp = typeof claims.exp === 'number' ? new Date(claims.exp * 1000).toISOString() : bearer.tokens?.expiresAt
  return {
    context: context.name,
    source: bearer.source,
    issuer: claims.iss ?? bearer.tokens?.issuer,
    ...identityOf(claims),
    expiresAt: exp,
    tokenFile: bearer.path,
    controlPlane: await askControlPlane(context, bearer.token),
  }
}

async function askControlPlane(context: ResolvedContext, token: string | undefined): Promise<WhoAmI['controlPlane']> {
  const {connectAdmin} = await import('../api/admin-client.js')
  const client = await connectAdmin(context, {bearer: () => token, timeoutMs: 5000})
  try {
    const me = await client.call('whoAmI', {})
    return {endpoint: context.adminEndpoint, reachable: true, authEnabled: me.authEnabled, principal: me.principal, roles: [...me.roles]}
  } catch (err) {
    const code = err instanceof PrismError ? err.code : 'INTERNAL'
    // The server answered but refused us: that is worth saying as such.
    return {endpoint: context.adminEndpoint, reachable: code !== 'UNAVAILABLE' && code !== 'DEADLINE_EXCEEDED', error: (err as Error).message}
  } finally {
    client.close()
  }
}
