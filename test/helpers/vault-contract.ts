/**
 * A contract stand-in for Vault: Vault cannot be installed here, so this local HTTP server answers the requests
 * prismctl makes exactly as Vault's documentation says Vault does (developer.hashicorp.com/vault/api-docs):
 * sys/auth, auth/jwt/config|role|login (JWTs really verified against the configured jwks_url, bound_issuer and the
 * role's bound_audiences and user_claim), auth/token/renew-self, sys/policies/acl (path globs), and KV v2 under
 * secret/. Tokens have TTLs and policies; writes without a body answer 204; reading what does not exist answers 404
 * {"errors":[]}; a refused token 403 {"errors":["permission denied"]}.
 */
import {randomBytes} from 'node:crypto'
import {createServer, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

import {createRemoteJWKSet, jwtVerify} from 'jose'

export interface VaultToken {
  policies: string[]
  expiresAt?: number
  ttlSec?: number
  renewable: boolean
}

export interface ContractVault {
  address: string
  rootToken: string
  /** "METHOD path" of every request, in order. */
  requests: string[]
  auths: Record<string, {type: string}>
  jwtConfig?: Record<string, unknown>
  policies: Record<string, string>
  roles: Record<string, Record<string, unknown>>
  kv: Record<string, Record<string, unknown>>
  tokens: Map<string, VaultToken>
  /** A token with these policies, e.g. for VAULT_TOKEN. */
  issueToken(policies: string[], ttlSec?: number): string
  close(): Promise<void>
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  res.writeHead(status, body === undefined ? {} : {'Content-Type': 'application/json'})
  res.end(body === undefined ? undefined : JSON.stringify(body))
}

/** `path "secret/data/prism/*" { capabilities = ["read", …] }` lines: does any allow `capability` on `path`? */
function allowed(hcl: string, path: string, capability: string): boolean {
  for (const m of hcl.matchAll(/path\s+"([^"]+)"\s*\{\s*capabilities\s*=\s*\[([^\]]*)\]/g)) {
    const glob = m[1]!
    const caps = [...m[2]!.matchAll(/"([^"]+)"/g)].map((c) => c[1])
    const match = glob.endsWith('*') ? path.startsWith(glob.slice(0, -1)) : path === glob
    if (match && caps.includes(capability)) return true
  }
  return false
}

export async function startContractVault(rootToken = 'test-root'): Promise<ContractVault> {
  const vault = {
    rootToken,
    requests: [] as string[],
    auths: {'token/': {type: 'token'}} as Record<string, {type: string}>,
    policies: {} as Record<string, string>,
    roles: {} as Record<string, Record<string, unknown>>,
    kv: {} as Record<string, Record<string, unknown>>,
    tokens: new Map<string, VaultToken>([[rootToken, {policies: ['root'], renewable: false}]]),
  } as ContractVault
  vault.issueToken = (policies, ttlSec) => {
    const token = `hvs.${randomBytes(12).toString('base64url')}`
    vault.tokens.set(token, {policies, renewable: ttlSec !== undefined, ...(ttlSec ? {ttlSec, expiresAt: Date.now() + ttlSec * 1000} : {})})
    return token
  }
  const live = (token: string | undefined) => {
    const t = token ? vault.tokens.get(token) : undefined
    return t && (t.expiresAt === undefined || t.expiresAt > Date.now()) ? t : undefined
  }
  const can = (t: VaultToken, path: string, capability: string) => t.policies.includes('root') || t.policies.some((p) => vault.policies[p] && allowed(vault.policies[p]!, path, capability))

  const server: Server = createServer((req, res) => {
    let raw = ''
    req.on('data', (c: Buffer) => (raw += c.toString()))
    req.on('end', () => {
      void (async () => {
        const path = req.url!.replace(/^\/v1\//, '')
        vault.requests.push(`${req.method} ${path}`)
        const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {}
        const get = req.method === 'GET'

        if (path === 'auth/jwt/login' && !get) {
          if (!vault.auths['jwt/'] || !vault.jwtConfig) return send(res, 400, {errors: ['could not load configuration']})
          const role = vault.roles[body.role as string]
          if (!role) return send(res, 400, {errors: [`role "${body.role}" could not be found`]})
          try {
            const jwks = createRemoteJWKSet(new URL(vault.jwtConfig.jwks_url as string))
            const {payload} = await jwtVerify(body.jwt as string, jwks, {issuer: vault.jwtConfig.bound_issuer as string, audience: role.bound_audiences as string[]})
            if (payload[role.user_claim as string] === undefined) return send(res, 400, {errors: [`claim "${role.user_claim}" not found in token`]})
          } catch (err) {
            return send(res, 400, {errors: [`error validating token: ${(err as Error).message}`]})
          }
          const ttl = Number(role.token_ttl) || 3600
          const token = vault.issueToken(role.token_policies as string[], ttl)
          return send(res, 200, {auth: {client_token: token, policies: role.token_policies, lease_duration: ttl, renewable: true}})
        }

        const caller = live(req.headers['x-vault-token'] as string | undefined)
        if (!caller) return send(res, 403, {errors: ['permission denied']})

        if (path === 'auth/token/renew-self' && !get) {
          if (!caller.renewable || !caller.ttlSec) return send(res, 400, {errors: ['lease is not renewable']})
          caller.expiresAt = Date.now() + caller.ttlSec * 1000
          return send(res, 200, {auth: {client_token: req.headers['x-vault-token'], policies: caller.policies, lease_duration: caller.ttlSec, renewable: true}})
        }
        const secret = /^secret\/data\/(.+)$/.exec(path)?.[1]
        if (secret) {
          if (!can(caller, path, get ? 'read' : 'create')) return send(res, 403, {errors: ['permission denied']})
          if (get) return vault.kv[secret] ? send(res, 200, {data: {data: vault.kv[secret], metadata: {version: 1}}}) : send(res, 404, {errors: []})
          if (!body.data || typeof body.data !== 'object') return send(res, 400, {errors: ['no data provided']})
          vault.kv[secret] = body.data as Record<string, unknown>
          return send(res, 200, {data: {version: 1, created_time: new Date().toISOString()}})
        }
        // The rest is administration: the root token only.
        if (!caller.policies.includes('root')) return send(res, 403, {errors: ['permission denied']})
        if (path === 'sys/auth' && get) return send(res, 200, {...vault.auths, data: vault.auths})
        if (path === 'sys/auth/jwt' && !get) {
          if (vault.auths['jwt/']) return send(res, 400, {errors: ['path is already in use at jwt/']})
          if (body.type !== 'jwt') return send(res, 400, {errors: ['plugin not found in the catalog']})
          vault.auths['jwt/'] = {type: 'jwt'}
          return send(res, 204)
        }
        if (path.startsWith('auth/jwt/') && !vault.auths['jwt/']) return send(res, 404, {errors: ['no handler for route "auth/jwt". route entry not found.']})
        if (path === 'auth/jwt/config') {
          if (get) return vault.jwtConfig ? send(res, 200, {data: vault.jwtConfig}) : send(res, 404, {errors: []})
          // Exactly one key source (vault-plugin-auth-jwt path_config.go).
          const sources = ['oidc_discovery_url', 'jwks_url', 'jwt_validation_pubkeys'].filter((k) => body[k])
          if (sources.length !== 1) return send(res, 400, {errors: ["exactly one of 'jwt_validation_pubkeys', 'jwks_url' or 'oidc_discovery_url' must be set"]})
          vault.jwtConfig = {jwks_url: body.jwks_url, bound_issuer: body.bound_issuer, jwt_supported_algs: body.jwt_supported_algs, oidc_discovery_url: ''}
          return send(res, 204)
        }
        const role = /^auth\/jwt\/role\/(.+)$/.exec(path)?.[1]
        if (role) {
          if (get) return vault.roles[role] ? send(res, 200, {data: vault.roles[role]}) : send(res, 404, {errors: []})
          if (!body.user_claim) return send(res, 400, {errors: ['a user claim must be defined on the role']})
          // Vault reads durations as seconds or strings and answers seconds.
          vault.roles[role] = {...body, token_ttl: typeof body.token_ttl === 'number' ? body.token_ttl : 0}
          return send(res, 204)
        }
        const policy = /^sys\/policies\/acl\/(.+)$/.exec(path)?.[1]
        if (policy) {
          if (get) return vault.policies[policy] ? send(res, 200, {data: {name: policy, policy: vault.policies[policy]}}) : send(res, 404, {errors: []})
          vault.policies[policy] = body.policy as string
          return send(res, 204)
        }
        send(res, 404, {errors: [`no handler for route "${path}"`]})
      })()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  vault.address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  vault.close = () => new Promise<void>((resolve) => server.close(() => resolve()))
  return vault
}
