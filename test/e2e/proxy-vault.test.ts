/**
 * Backend credentials held in Vault, end to end: a real redis-server that refuses every command without its
 * password, the proxy logging in to Vault with its own token (auth/jwt/login, the role the dev stack's bootstrap
 * writes) and reading the password from KV v2 when it connects. Vault itself is the contract stand-in
 * (test/helpers/vault-contract.ts): Vault cannot be installed here.
 */
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {bootstrapVault, VAULT_ROLE} from '../../src/stack/docker/vault-bootstrap.js'
import {startAdminServer, type AdminServer} from '../helpers/admin-server.js'
import {runCli, tempDir} from '../helpers/cli.js'
import {CLIENT_ID, idTokenFor, startTestProvider, type TestProvider} from '../helpers/oidc-provider.js'
import {startProxyServer, waitReady, type ProxyServer} from '../helpers/proxy-server.js'
import {startRedis, type TestRedis} from '../helpers/redis.js'
import {startContractVault, type ContractVault} from '../helpers/vault-contract.js'

const PASSWORD = 'kept-in-vault-only'

let op: TestProvider
let vault: ContractVault
let redis: TestRedis
let admin: AdminServer
let proxy: ProxyServer
let token: string

const cli = (args: string[]) => runCli(args, {env: {PRISM_ADMIN_ENDPOINT: admin.endpoint, PRISM_PROXY_ENDPOINT: proxy.endpoint, PRISM_TOKEN: token}})

beforeAll(async () => {
  op = await startTestProvider()
  vault = await startContractVault()
  const jwks = ((await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json()) as {jwks_uri: string}).jwks_uri
  await bootstrapVault({address: vault.address, token: vault.rootToken, jwksUrl: jwks, boundIssuer: op.issuer, audience: CLIENT_ID, secrets: {'prism/backends/redis-vaulted': {password: PASSWORD}, 'prism/vaulted/per-slot': {password: PASSWORD}}})
  redis = await startRedis(['--requirepass', PASSWORD])
  admin = await startAdminServer({args: ['--issuer', op.issuer, '--audience', CLIENT_ID]})
  token = await idTokenFor(op.issuer, 'alice')
  proxy = await startProxyServer({
    adminEndpoint: admin.endpoint,
    args: ['--issuer', op.issuer, '--audience', CLIENT_ID, '--vault-addr', vault.address, '--vault-role', VAULT_ROLE],
    env: {PRISM_TOKEN: await idTokenFor(op.issuer, 'paul')},
  })
  const manifest = join(tempDir('prism-proxy-vault-'), 'resources.yaml')
  writeFileSync(
    manifest,
    `kind: Backend
name: redis-vaulted
type: redis
redis: {address: "${redis.address}"}
credentials: {vaultPath: "vault://secret/data/prism/backends/redis-vaulted"}
---
kind: Backend
name: redis-unwritten
type: redis
redis: {address: "${redis.address}"}
credentials: {vaultPath: "vault://secret/data/prism/backends/redis-unwritten"}
---
kind: Backend
name: redis-never
type: redis
redis: {address: "${redis.address}"}
credentials: {vaultPath: "vault://secret/data/prism/backends/redis-never"}
---
kind: Backend
name: redis-bare
type: redis
redis: {address: "${redis.address}"}
---
kind: Namespace
name: vaulted
team: platform-team
patterns:
  - name: cache
    type: keyvalue
    requires: [{slot: kv-store, backend: redis-vaulted}]
  - name: broken
    type: keyvalue
    requires: [{slot: kv-store, backend: redis-unwritten}]
  - name: per-slot
    type: keyvalue
    requires: [{slot: kv-store, backend: redis-bare, credentials: {vaultPath: "vault://secret/data/prism/vaulted/per-slot"}}]
  - name: bare
    type: keyvalue
    requires: [{slot: kv-store, backend: redis-bare}]
  - name: never
    type: keyvalue
    requires: [{slot: kv-store, backend: redis-never}]
`,
  )
  const apply = await cli(['apply', '-f', manifest])
  if (apply.code !== 0) throw new Error(apply.stderr)
  await waitReady(proxy).catch(() => {})
}, 60_000)

afterAll(async () => {
  await Promise.all([proxy?.stop(), admin?.stop(), redis?.stop(), vault?.close(), op?.close()])
})

describe('credentials.vaultPath', () => {
  it('the proxy reads the password from Vault with its own JWT and the data flows', async () => {
    const set = await cli(['kv', 'set', 'vaulted', 'k', 'v', '--pattern', 'cache'])
    expect(set.code, set.stderr).toBe(0)
    expect((await cli(['kv', 'get', 'vaulted', 'k', '--pattern', 'cache'])).stdout).toBe('v')
    expect(vault.requests).toContain('POST auth/jwt/login')
    expect(vault.requests).toContain('GET secret/data/prism/backends/redis-vaulted')
  })

  it('a path with no secret fails the slot that needs it, naming the path and no value; the rest stays served', async () => {
    const broken = await cli(['kv', 'get', 'vaulted', 'k', '--pattern', 'broken'])
    expect(broken.code).toBe(1)
    expect(broken.stderr).toContain('backend redis-unwritten: no secret at vault://secret/data/prism/backends/redis-unwritten in Vault')
    expect(broken.stderr).not.toContain(PASSWORD)
    expect((await cli(['kv', 'get', 'vaulted', 'k', '--pattern', 'cache'])).stdout).toBe('v')
    // Written now, it is read on the next connect: the next call sets the connection up again.
    vault.kv['prism/backends/redis-unwritten'] = {password: PASSWORD}
    const fixed = await cli(['kv', 'get', 'vaulted', 'k', '--pattern', 'broken'])
    expect(fixed.code, fixed.stderr).toBe(0)
    expect(fixed.stdout).toBe('v')
  })

  it('a slot binding with its own vaultPath connects with that secret, beside the same backend without it', async () => {
    const set = await cli(['kv', 'set', 'vaulted', 'slot-k', 'slot-v', '--pattern', 'per-slot'])
    expect(set.code, set.stderr).toBe(0)
    expect((await cli(['kv', 'get', 'vaulted', 'slot-k', '--pattern', 'per-slot'])).stdout).toBe('slot-v')
    expect(vault.requests).toContain('GET secret/data/prism/vaulted/per-slot')
    // The backend itself has no credentials: bound without the binding's, Redis refuses it.
    const bare = await cli(['kv', 'get', 'vaulted', 'slot-k', '--pattern', 'bare'])
    expect(bare.code).toBe(1)
    expect(bare.stderr).toContain('redis-bare')
    expect(bare.stderr).not.toContain(PASSWORD)
  })

  it('proxy status, /readyz and /metrics tell the two connections of that backend apart', async () => {
    const perSlot = 'vault://secret/data/prism/vaulted/per-slot'
    const status = await cli(['proxy', 'status', '--json'])
    expect(status.code, status.stderr).toBe(0)
    const bare = (JSON.parse(status.stdout) as {backends: {name: string; state: string; bindingCredentials?: string}[]}).backends.filter((b) => b.name === 'redis-bare')
    expect(bare.map((b) => [b.bindingCredentials ?? '', b.state]).sort()).toEqual([['', 'down'], [perSlot, 'connected']])
    const table = await cli(['proxy', 'status'])
    expect(table.stdout).toMatch(/BACKEND +BINDING CREDENTIALS +TYPE +STATE/)
    expect(table.stdout).toMatch(new RegExp(`redis-bare +${perSlot} +redis +connected`))
    const ready = await (await fetch(`http://${proxy.metrics}/readyz`)).text()
    expect(ready).toMatch(/- backend redis-bare: .*NOAUTH|- backend redis-bare: .*auth/i)
    expect(ready).not.toContain(`redis-bare (binding credentials ${perSlot})`)
    const metrics = await (await fetch(`http://${proxy.metrics}/metrics`)).text()
    expect(metrics).toContain(`prism_proxy_backend_state{backend="redis-bare",binding_credentials="${perSlot}",state="connected"} 1`)
    expect(metrics).toContain('prism_proxy_backend_state{backend="redis-bare",binding_credentials="",state="down"} 1')
  })

  it('a bound backend whose credentials cannot be read is down in proxy status and /readyz, with the reason', async () => {
    const status = await cli(['proxy', 'status', '--json'])
    const never = (JSON.parse(status.stdout) as {backends: {name: string; state: string; error?: string}[]}).backends.filter((b) => b.name === 'redis-never')
    expect(never).toEqual([expect.objectContaining({state: 'down', error: expect.stringContaining('no secret at vault://secret/data/prism/backends/redis-never')})])
    const ready = await fetch(`http://${proxy.metrics}/readyz`)
    expect(ready.status).toBe(503)
    expect(await ready.text()).toContain('- backend redis-never: no secret at vault://secret/data/prism/backends/redis-never')
  })

  it('the proxy log never holds the password', () => {
    expect(proxy.logs()).not.toContain(PASSWORD)
  })
})
