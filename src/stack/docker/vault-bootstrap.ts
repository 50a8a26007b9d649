/**
 * Vault's bootstrap in the dev stack, over Vault's HTTP API with the dev root token (reference/stack-images.md
 * §2.4): JWT auth against the stack's issuer (jwks_url by service name, bound_issuer as tokens say it), a policy and
 * role for secret/data/prism/*, and the default backends' credentials in KV v2. Every step reads before it writes,
 * so running it on each `dev up` changes nothing the second time.
 */
import {PrismError} from '../../errors.js'

export interface VaultBootstrap {
  /** http://127.0.0.1:8200 as the host reaches it. */
  address: string
  token: string
  /** The keys as Vault (in the stack's network) fetches them. */
  jwksUrl: string
  boundIssuer: string
  audience: string
  /** KV v2 paths under secret/ and the data for each, e.g. prism/backends/postgres-dev → {username, password}. */
  secrets: Record<string, Record<string, string>>
}

export const VAULT_POLICY = 'prism-dev'
export const VAULT_ROLE = 'prism-dev'

const POLICY_HCL = [
  'path "secret/data/prism/*" { capabilities = ["create", "read", "update", "delete"] }',
  'path "secret/metadata/prism/*" { capabilities = ["list", "read"] }',
].join('\n')

async function vault(b: VaultBootstrap, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{status: number; json: Record<string, unknown> | undefined}> {
  let res: Response
  try {
    res = await fetch(`${b.address}/v1/${path}`, {
      method,
      headers: {'X-Vault-Token': b.token, ...(body ? {'Content-Type': 'application/json'} : {})},
      ...(body ? {body: JSON.stringify(body)} : {}),
      signal: AbortSignal.timeout(10_000),
    })
  } catch (err) {
    throw new PrismError(`Vault bootstrap: cannot reach Vault at ${b.address} (${(err as {cause?: {code?: string}}).cause?.code ?? (err as Error).message})`, {code: 'UNAVAILABLE', cause: err})
  }
  const text = await res.text()
  const json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined
  if (res.status >= 400 && !(method === 'GET' && res.status === 404)) {
    const errors = (json?.errors as string[] | undefined)?.join('; ') ?? text.slice(0, 200)
    throw new PrismError(`Vault bootstrap: ${method} /v1/${path} answered ${res.status}: ${errors}`, {code: 'FAILED_PRECONDITION', hint: 'See the Vault container\'s log: prismctl dev logs vault'})
  }
  return {status: res.status, json}
}

const data = (r: {json: Record<string, unknown> | undefined}) => (r.json?.data ?? {}) as Record<string, unknown>
const sameStrings = (a: unknown, b: string[]) => Array.isArray(a) && a.length === b.length && b.every((x) => a.includes(x))

/** Runs every step; returns what it changed ("enabled jwt auth", …), empty when all was in place. */
export async function bootstrapVault(b: VaultBootstrap): Promise<string[]> {
  const changed: string[] = []
  const auths = data(await vault(b, 'GET', 'sys/auth'))
  if (!('jwt/' in auths)) {
    await vault(b, 'POST', 'sys/auth/jwt', {type: 'jwt', description: 'The dev stack\'s issuer'})
    changed.push('enabled jwt auth')
  }

  const config = data(await vault(b, 'GET', 'auth/jwt/config'))
  if (config.jwks_url !== b.jwksUrl || config.bound_issuer !== b.boundIssuer) {
    // Vault fetches the keys when the config is written: the issuer must answer by now.
    await vault(b, 'POST', 'auth/jwt/config', {jwks_url: b.jwksUrl, bound_issuer: b.boundIssuer, jwt_supported_algs: ['RS256']})
    changed.push('configured jwt auth')
  }

  const policy = data(await vault(b, 'GET', `sys/policies/acl/${VAULT_POLICY}`))
  if (policy.policy !== POLICY_HCL) {
    await vault(b, 'POST', `sys/policies/acl/${VAULT_POLICY}`, {policy: POLICY_HCL})
    changed.push(`wrote policy ${VAULT_POLICY}`)
  }

  const role = data(await vault(b, 'GET', `auth/jwt/role/${VAULT_ROLE}`))
  const wanted = {role_type: 'jwt', bound_audiences: [b.audience], user_claim: 'email', groups_claim: 'groups', token_policies: [VAULT_POLICY], token_ttl: 3600}
  if (role.role_type !== 'jwt' || !sameStrings(role.bound_audiences, wanted.bound_audiences) || role.user_claim !== 'email' || role.groups_claim !== 'groups' || !sameStrings(role.token_policies, wanted.token_policies) || role.token_ttl !== 3600) {
    await vault(b, 'POST', `auth/jwt/role/${VAULT_ROLE}`, wanted)
    changed.push(`wrote role ${VAULT_ROLE}`)
  }

  for (const [path, value] of Object.entries(b.secrets)) {
    const current = (data(await vault(b, 'GET', `secret/data/${path}`)).data ?? {}) as Record<string, unknown>
    const same = Object.keys(value).length === Object.keys(current).length && Object.entries(value).every(([k, v]) => current[k] === v)
    if (!same) {
      await vault(b, 'POST', `secret/data/${path}`, {data: value})
      changed.push(`wrote secret/${path}`)
    }
  }
  return changed
}
