/**
 * Contract test of the proxy's Vault client: Vault cannot be installed here, so it runs against a local server that
 * answers Vault's documented requests and responses (test/helpers/vault-contract.ts), with JWTs from the real OIDC
 * test provider verified against its keys as Vault's JWT auth does.
 */
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {CLIENT_ID, idTokenFor, startTestProvider, type TestProvider} from '../../test/helpers/oidc-provider.js'
import {startContractVault, type ContractVault} from '../../test/helpers/vault-contract.js'
import {PrismError} from '../errors.js'
import {bootstrapVault, VAULT_ROLE} from '../stack/docker/vault-bootstrap.js'
import {kvApiPath, VaultClient} from './vault.js'

const PATH = 'vault://secret/data/prism/backends/redis-cache'
const SECRET = {username: 'default', password: 'redis-secret-value'}

let op: TestProvider
let vault: ContractVault
let jwks: string

beforeAll(async () => {
  op = await startTestProvider()
  jwks = ((await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json()) as {jwks_uri: string}).jwks_uri
})
afterAll(async () => {
  await op.close()
})

beforeEach(async () => {
  await vault?.close()
  vault = await startContractVault()
  // What the dev stack's bootstrap writes: JWT auth against the issuer, the prism-dev policy and role, the secret.
  await bootstrapVault({address: vault.address, token: vault.rootToken, jwksUrl: jwks, boundIssuer: op.issuer, audience: CLIENT_ID, secrets: {'prism/backends/redis-cache': SECRET}})
})

describe('the proxy\'s Vault client', () => {
  it('reads a KV v2 secret with a token (VAULT_TOKEN)', async () => {
    const client = new VaultClient({address: vault.address, token: vault.issueToken(['prism-dev'])})
    expect(await client.readSecret(PATH)).toEqual(SECRET)
  })

  it('logs in with the proxy\'s own JWT through auth/jwt/login, once, and reads with the Vault token it gets', async () => {
    const jwt = await idTokenFor(op.issuer, 'paul')
    const client = new VaultClient({address: vault.address, jwtLogin: {role: VAULT_ROLE, jwt: async () => jwt}})
    expect(await client.readSecret(PATH)).toEqual(SECRET)
    expect(await client.readSecret(PATH)).toEqual(SECRET)
    expect(vault.requests.filter((r) => r === 'POST auth/jwt/login')).toHaveLength(1)
  })

  it('renews its token past two thirds of the TTL, and logs in again when renewal is refused', async () => {
    // 3 s: the read after 2.2 s is past two thirds of it with 800 ms to spare before the token expires.
    vault.roles[VAULT_ROLE]!.token_ttl = 3
    const jwt = await idTokenFor(op.issuer, 'paul')
    const client = new VaultClient({address: vault.address, jwtLogin: {role: VAULT_ROLE, jwt: async () => jwt}})
    await client.readSecret(PATH)
    await new Promise((r) => setTimeout(r, 2_200))
    await client.readSecret(PATH)
    expect(vault.requests.filter((r) => r === 'POST auth/token/renew-self')).toHaveLength(1)
    // Revoked meanwhile: the renewal is refused (403), so the client logs in again and the read still works.
    vault.tokens.clear()
    await new Promise((r) => setTimeout(r, 2_200))
    expect(await client.readSecret(PATH)).toEqual(SECRET)
    expect(vault.requests.filter((r) => r === 'POST auth/jwt/login')).toHaveLength(2)
  })

  it('a secret changed in Vault is what the next read returns', async () => {
    const client = new VaultClient({address: vault.address, token: vault.rootToken})
    await client.readSecret(PATH)
    vault.kv['prism/backends/redis-cache'] = {password: 'rotated'}
    expect(await client.readSecret(PATH)).toEqual({password: 'rotated'})
  })

  it('a missing path or a refused read names the path, never a value', async () => {
    const client = new VaultClient({address: vault.address, token: vault.issueToken(['prism-dev'])})
    const missing = await client.readSecret('vault://secret/data/prism/backends/nope').catch((e: unknown) => e)
    expect(missing).toMatchObject({code: 'NOT_FOUND', message: 'no secret at vault://secret/data/prism/backends/nope in Vault'})
    vault.kv['other/secret'] = {password: 'not-for-the-proxy'}
    const denied = await client.readSecret('vault://secret/data/other/secret').catch((e: unknown) => e)
    expect(denied).toBeInstanceOf(PrismError)
    expect(denied).toMatchObject({code: 'PERMISSION_DENIED', message: 'Vault refused to read vault://secret/data/other/secret (permission denied)'})
    expect(JSON.stringify(denied)).not.toContain('not-for-the-proxy')
  })

  it('a JWT Vault does not accept is a clear refusal naming the role', async () => {
    const client = new VaultClient({address: vault.address, jwtLogin: {role: VAULT_ROLE, jwt: async () => 'not-a-jwt'}})
    await expect(client.readSecret(PATH)).rejects.toThrow(/^Vault refused the proxy's JWT login \(role prism-dev\): HTTP 400: error validating token/)
  })

  it('only takes KV v2 paths', () => {
    expect(kvApiPath('vault://secret/data/prism/x')).toBe('secret/data/prism/x')
    expect(() => kvApiPath('vault://secret/prism/x')).toThrow('invalid Vault path')
  })
})
