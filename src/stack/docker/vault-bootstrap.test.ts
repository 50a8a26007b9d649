/**
 * Contract test of the Vault bootstrap: the real Vault image cannot be pulled here, so a local HTTP server answers
 * the requests the bootstrap makes the way Vault's documentation says Vault does (developer.hashicorp.com/vault/
 * api-docs: sys/auth, auth/jwt config and roles, sys/policies/acl, KV v2; X-Vault-Token; 204 on writes without a
 * body; 404 with {"errors":[]} on reading what does not exist; 400 "path is already in use" on enabling twice).
 */
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {PrismError} from '../../errors.js'
import {bootstrapVault, VAULT_POLICY, VAULT_ROLE, type VaultBootstrap} from './vault-bootstrap.js'

const TOKEN = 'test-root'

interface FakeVault {
  server: Server
  address: string
  requests: string[]
  auths: Record<string, {type: string}>
  jwtConfig?: Record<string, unknown>
  policies: Record<string, string>
  roles: Record<string, Record<string, unknown>>
  kv: Record<string, Record<string, unknown>>
}

function send(res: import('node:http').ServerResponse, status: number, body?: unknown): void {
  res.writeHead(status, body === undefined ? {} : {'Content-Type': 'application/json'})
  res.end(body === undefined ? undefined : JSON.stringify(body))
}

async function startFakeVault(): Promise<FakeVault> {
  const vault = {requests: [] as string[], auths: {'token/': {type: 'token'}}, policies: {} as Record<string, string>, roles: {} as Record<string, Record<string, unknown>>, kv: {} as Record<string, Record<string, unknown>>} as unknown as FakeVault
  vault.server = createServer((req, res) => {
    let raw = ''
    req.on('data', (c: Buffer) => (raw += c.toString()))
    req.on('end', () => {
      const path = req.url!.replace(/^\/v1\//, '')
      vault.requests.push(`${req.method} ${path}`)
      if (req.headers['x-vault-token'] !== TOKEN) return send(res, 403, {errors: ['permission denied']})
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {}
      const get = req.method === 'GET'
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
        // Exactly one of the key sources (vault-plugin-auth-jwt path_config.go).
        const sources = ['oidc_discovery_url', 'jwks_url', 'jwt_validation_pubkeys'].filter((k) => body[k])
        if (sources.length !== 1) return send(res, 400, {errors: ['exactly one of \'jwt_validation_pubkeys\', \'jwks_url\' or \'oidc_discovery_url\' must be set']})
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
      const secret = /^secret\/data\/(.+)$/.exec(path)?.[1]
      if (secret) {
        if (get) return vault.kv[secret] ? send(res, 200, {data: {data: vault.kv[secret], metadata: {version: 1}}}) : send(res, 404, {errors: []})
        if (!body.data || typeof body.data !== 'object') return send(res, 400, {errors: ['no data provided']})
        vault.kv[secret] = body.data as Record<string, unknown>
        return send(res, 200, {data: {version: 1, created_time: new Date().toISOString()}})
      }
      send(res, 404, {errors: [`no handler for route "${path}"`]})
    })
  })
  await new Promise<void>((resolve) => vault.server.listen(0, '127.0.0.1', resolve))
  vault.address = `http://127.0.0.1:${(vault.server.address() as AddressInfo).port}`
  return vault
}

describe('Vault bootstrap (contract test against Vault\'s documented HTTP API)', () => {
  let vault: FakeVault
  let settings: VaultBootstrap
  beforeEach(async () => {
    vault = await startFakeVault()
    settings = {
      address: vault.address,
      token: TOKEN,
      jwksUrl: 'http://dex:5556/dex/keys',
      boundIssuer: 'http://localhost:5556/dex',
      audience: 'prismctl',
      secrets: {'prism/backends/postgres-dev': {username: 'prism', password: 'prism-dev'}},
    }
  })
  afterEach(() => new Promise<void>((resolve) => vault.server.close(() => resolve())))

  it('enables and configures JWT auth, writes the policy, the role and the secrets', async () => {
    const changed = await bootstrapVault(settings)
    expect(changed).toEqual(['enabled jwt auth', 'configured jwt auth', `wrote policy ${VAULT_POLICY}`, `wrote role ${VAULT_ROLE}`, 'wrote secret/prism/backends/postgres-dev'])
    expect(vault.jwtConfig).toMatchObject({jwks_url: 'http://dex:5556/dex/keys', bound_issuer: 'http://localhost:5556/dex', jwt_supported_algs: ['RS256']})
    expect(vault.policies[VAULT_POLICY]).toContain('path "secret/data/prism/*"')
    expect(vault.roles[VAULT_ROLE]).toMatchObject({role_type: 'jwt', bound_audiences: ['prismctl'], user_claim: 'email', groups_claim: 'groups', token_policies: [VAULT_POLICY], token_ttl: 3600})
    expect(vault.kv['prism/backends/postgres-dev']).toEqual({username: 'prism', password: 'prism-dev'})
    // Auth is enabled before its config is written (Vault has no route for it before).
    expect(vault.requests.indexOf('POST sys/auth/jwt')).toBeLessThan(vault.requests.indexOf('POST auth/jwt/config'))
  })

  it('is idempotent: a second run only reads', async () => {
    await bootstrapVault(settings)
    vault.requests.length = 0
    expect(await bootstrapVault(settings)).toEqual([])
    expect(vault.requests.every((r) => r.startsWith('GET '))).toBe(true)
  })

  it('repairs what drifted (a changed secret) and nothing else', async () => {
    await bootstrapVault(settings)
    vault.kv['prism/backends/postgres-dev'] = {username: 'prism', password: 'changed'}
    expect(await bootstrapVault(settings)).toEqual(['wrote secret/prism/backends/postgres-dev'])
  })

  it('a refused request is a clear error naming the call, never the token', async () => {
    const err = await bootstrapVault({...settings, token: 'wrong-token'}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PrismError)
    expect((err as PrismError).message).toBe('Vault bootstrap: GET /v1/sys/auth answered 403: permission denied')
    expect(JSON.stringify(err)).not.toContain('wrong-token')
  })

  it('an unreachable Vault is UNAVAILABLE', async () => {
    const err = await bootstrapVault({...settings, address: 'http://127.0.0.1:1'}).catch((e: unknown) => e)
    expect(err).toMatchObject({code: 'UNAVAILABLE', message: expect.stringContaining('cannot reach Vault at http://127.0.0.1:1')})
  })
})
