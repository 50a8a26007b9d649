/**
 * The stack's bootstrap after its services answer: its default backends registered in the control plane, as the
 * admin test user. Idempotent: applying an unchanged backend leaves it as it is, so `dev up` may run it every time.
 */
import {connectAdmin} from '../api/admin-client.js'
import {DEFAULTS, type ResolvedContext} from '../config/contexts.js'
import {ApplyResult} from '../gen/prism/admin/v1/control_plane_pb.js'
import {backendsOf} from './default-backends.js'
import {passwordBearer} from '../auth/password-bearer.js'
import type {StoredTokens} from '../auth/token-store.js'
import {testUser} from './test-users.js'

export interface StackEndpoints {
  issuer: string
  adminEndpoint: string
  proxyEndpoint: string
}

export function stackContext(e: StackEndpoints): ResolvedContext {
  return {name: 'dev', stored: false, adminEndpoint: e.adminEndpoint, proxyEndpoint: e.proxyEndpoint, issuer: e.issuer, clientId: DEFAULTS.clientId, scopes: DEFAULTS.scopes, tls: false}
}

/**
 * Applies each backend document as the admin test user (with `bearer`, a token of theirs already at hand, else
 * through the password grant); returns "NAME registered|updated|present" lines.
 */
export async function registerBackends(e: StackEndpoints, yamls: string[], options: {log?: (line: string) => void; bearer?: string} = {}): Promise<string[]> {
  const admin = testUser('admin')
  const bearer = options.bearer
  const client = await connectAdmin(stackContext(e), {bearer: bearer ? async () => bearer : passwordBearer({issuer: e.issuer, email: admin.email, password: admin.password, ...(options.log ? {log: options.log} : {})})})
  try {
    // Independent documents, sent at once; the outcomes keep the documents' order.
    return await Promise.all(
      yamls.flatMap((y) => backendsOf(y)).map(async (backend) => {
        const res = await client.call('applyBackend', {backend, dryRun: false, expectedVersion: 0n}, {kind: 'Backend', name: backend.name})
        return `backend ${backend.name} ${res.result === ApplyResult.CREATED ? 'registered' : res.result === ApplyResult.CONFIGURED ? 'updated' : 'present'}`
      }),
    )
  } finally {
    client.close()
  }
}

export const DEV_CONTEXT = 'dev'

/** The admin test user's tokens through the password grant, held in memory: nothing is written. */
export async function adminLogin(e: StackEndpoints): Promise<StoredTokens> {
  const {discover, passwordLogin} = await import('../auth/oidc.js')
  const admin = testUser('admin')
  return passwordLogin(await discover({issuer: e.issuer, clientId: DEFAULTS.clientId}), DEFAULTS.scopes, admin.email, admin.password)
}

/**
 * Writes the `dev` context and makes it current (unless context is false), then stores the admin test user's
 * login (unless login is false): `tokens` when the bootstrap already holds them, else a fresh password grant.
 * Returns who is logged in.
 */
export async function connectCli(e: StackEndpoints, options: {context: boolean; login: boolean}, env: NodeJS.ProcessEnv, tokens?: StoredTokens): Promise<string | undefined> {
  if (options.context) {
    const {setContext} = await import('../config/contexts.js')
    setContext(DEV_CONTEXT, {adminEndpoint: e.adminEndpoint, proxyEndpoint: e.proxyEndpoint, issuer: e.issuer, tls: false}, {use: true}, env)
  }
  if (!options.login) return undefined
  const {writeTokens} = await import('../auth/token-store.js')
  writeTokens(DEV_CONTEXT, tokens ?? (await adminLogin(e)), env)
  return testUser('admin').email
}
