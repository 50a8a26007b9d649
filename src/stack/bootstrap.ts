/**
 * The stack's bootstrap after its services answer: its default backends registered in the control plane, as the
 * admin test user. Idempotent: applying an unchanged backend leaves it as it is, so `dev up` may run it every time.
 */
import {connectAdmin} from '../api/admin-client.js'
import {DEFAULTS, type ResolvedContext} from '../config/contexts.js'
import {ApplyResult} from '../gen/prism/admin/v1/control_plane_pb.js'
import {backendsOf} from './default-backends.js'
import {passwordBearer} from '../auth/password-bearer.js'
import {testUser} from './test-users.js'

export interface StackEndpoints {
  issuer: string
  adminEndpoint: string
  proxyEndpoint: string
}

export function stackContext(e: StackEndpoints): ResolvedContext {
  return {name: 'dev', stored: false, adminEndpoint: e.adminEndpoint, proxyEndpoint: e.proxyEndpoint, issuer: e.issuer, clientId: DEFAULTS.clientId, scopes: DEFAULTS.scopes, tls: false}
}

/** Applies each backend document; returns "NAME registered|updated|present" lines. */
export async function registerBackends(e: StackEndpoints, yamls: string[], log?: (line: string) => void): Promise<string[]> {
  const admin = testUser('admin')
  const client = await connectAdmin(stackContext(e), {bearer: passwordBearer({issuer: e.issuer, email: admin.email, password: admin.password, ...(log ? {log} : {})})})
  const outcomes: string[] = []
  try {
    for (const backend of yamls.flatMap((y) => backendsOf(y))) {
      const res = await client.call('applyBackend', {backend, dryRun: false, expectedVersion: 0n}, {kind: 'Backend', name: backend.name})
      outcomes.push(`backend ${backend.name} ${res.result === ApplyResult.CREATED ? 'registered' : res.result === ApplyResult.CONFIGURED ? 'updated' : 'present'}`)
    }
  } finally {
    client.close()
  }
  return outcomes
}

export const DEV_CONTEXT = 'dev'

/** Writes the `dev` context and makes it current (unless context is false), then logs in as the admin test user. */
export async function connectCli(e: StackEndpoints, options: {context: boolean; login: boolean}, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (options.context) {
    const {setContext} = await import('../config/contexts.js')
    setContext(DEV_CONTEXT, {adminEndpoint: e.adminEndpoint, proxyEndpoint: e.proxyEndpoint, issuer: e.issuer, tls: false}, {use: true}, env)
  }
  if (!options.login) return undefined
  const [{discover, passwordLogin}, {writeTokens}] = await Promise.all([import('../auth/oidc.js'), import('../auth/token-store.js')])
  const admin = testUser('admin')
  const issuer = await discover({issuer: e.issuer, clientId: DEFAULTS.clientId})
  writeTokens(DEV_CONTEXT, await passwordLogin(issuer, DEFAULTS.scopes, admin.email, admin.password), env)
  return admin.email
}
