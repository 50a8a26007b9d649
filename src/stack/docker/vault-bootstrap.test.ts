/**
 * Contract test of the Vault bootstrap: the real Vault image cannot be pulled here, so it runs against a local server
 * answering Vault's documented requests and responses (test/helpers/vault-contract.ts).
 */
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {PrismError} from '../../errors.js'
import {startContractVault, type ContractVault} from '../../../test/helpers/vault-contract.js'
import {bootstrapVault, VAULT_POLICY, VAULT_ROLE, type VaultBootstrap} from './vault-bootstrap.js'

const TOKEN = 'test-root'

describe('Vault bootstrap (contract test against Vault\'s documented HTTP API)', () => {
  let vault: ContractVault
  let settings: VaultBootstrap
  beforeEach(async () => {
    vault = await startContractVault(TOKEN)
    settings = {
      address: vault.address,
      token: TOKEN,
      jwksUrl: 'http://dex:5556/dex/keys',
      boundIssuer: 'http://localhost:5556/dex',
      audience: 'prismctl',
      secrets: {'prism/backends/postgres-dev': {username: 'prism', password: 'prism-dev'}},
    }
  })
  afterEach(() => vault.close())

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
