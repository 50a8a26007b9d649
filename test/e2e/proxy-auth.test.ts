/**
 * Auth on the data path, end to end with real tokens from the OIDC test provider: the proxy verifies callers'
 * ID tokens and enforces a namespace's allowedGroups; it follows the control plane as paul (proxies → proxy role),
 * which is how it gets a backend's static password: the Redis here refuses every command without it.
 */
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startAdminServer, type AdminServer} from '../helpers/admin-server.js'
import {runCli, tempDir, type CliResult} from '../helpers/cli.js'
import {CLIENT_ID, idTokenFor, startTestProvider, type TestProvider} from '../helpers/oidc-provider.js'
import {startProxyServer, waitReady, type ProxyServer} from '../helpers/proxy-server.js'
import {startRedis, type TestRedis} from '../helpers/redis.js'

const PASSWORD = 'only-the-proxy-knows'

let op: TestProvider
let admin: AdminServer
let proxy: ProxyServer
let redis: TestRedis
const tokens: Record<string, string> = {}

function cli(user: string | undefined, args: string[], input?: string): Promise<CliResult> {
  return runCli(args, {input, env: {PRISM_ADMIN_ENDPOINT: admin.endpoint, PRISM_PROXY_ENDPOINT: proxy.endpoint, PRISM_TOKEN: user ? tokens[user] : undefined}})
}

beforeAll(async () => {
  op = await startTestProvider()
  for (const user of ['alice', 'bob', 'carol', 'paul'] as const) tokens[user] = await idTokenFor(op.issuer, user)
  redis = await startRedis(['--requirepass', PASSWORD])
  admin = await startAdminServer({args: ['--issuer', op.issuer, '--audience', CLIENT_ID]})
  proxy = await startProxyServer({adminEndpoint: admin.endpoint, args: ['--issuer', op.issuer, '--audience', CLIENT_ID], env: {PRISM_TOKEN: tokens.paul}})
  const manifest = join(tempDir('prism-proxy-auth-'), 'resources.yaml')
  writeFileSync(
    manifest,
    `kind: Backend
name: redis-locked
type: redis
redis: {address: "${redis.address}"}
credentials: {static: {password: ${PASSWORD}}}
---
kind: Namespace
name: guarded
team: platform-team
auth: {enabled: true, provider: oidc, allowedGroups: [platform-team]}
patterns:
  - name: cache
    type: keyvalue
    requires: [{slot: kv-store, backend: redis-locked}]
---
kind: Namespace
name: with-sessions
team: platform-team
patterns:
  - name: sessions
    type: session-manager
    requires: [{slot: session-store, backend: redis-locked}]
  - name: cache
    type: keyvalue
    sessionAware: true
    requires: [{slot: kv-store, backend: redis-locked}]
`,
  )
  const applied = await cli('bob', ['apply', '-f', manifest])
  expect(applied.code, applied.stderr).toBe(0)
  await waitReady(proxy)
})

afterAll(async () => {
  await proxy?.stop()
  await admin?.stop()
  await redis?.stop()
  await op?.close()
})

describe('the proxy role', () => {
  it('gets the static password in clear: the password-protected Redis serves the namespace', async () => {
    const set = await cli('bob', ['kv', 'set', 'guarded', 'k', 'v'])
    expect(set.code, set.stderr).toBe(0)
    expect((await cli('bob', ['kv', 'get', 'guarded', 'k'])).stdout).toBe('v')
    // What others see of that backend stays redacted.
    const shown = await cli('carol', ['backend', 'get', 'redis-locked', '-o', 'yaml'])
    expect(shown.stdout).toContain('REDACTED')
    expect(shown.stdout).not.toContain(PASSWORD)
    expect(proxy.logs()).not.toContain(PASSWORD)
  })
})

describe('callers', () => {
  it('are refused without a valid token, with a login hint', async () => {
    const none = await cli(undefined, ['kv', 'get', 'guarded', 'k'])
    expect(none.code).toBe(1)
    expect(none.stderr).toContain(`not authenticated to the proxy at ${proxy.endpoint}`)
    expect(none.stderr).toContain('prismctl login')

    const [header, payload, signature] = tokens.bob!.split('.')
    const forged = `${header}.${payload}.${signature!.slice(0, -4)}AAAA`
    const bad = await runCli(['kv', 'get', 'guarded', 'k'], {env: {PRISM_PROXY_ENDPOINT: proxy.endpoint, PRISM_TOKEN: forged}})
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('not authenticated to the proxy')
    // Nothing about the namespace leaks to a caller without a valid token.
    const unknown = await cli(undefined, ['kv', 'get', 'no-such-namespace', 'k'])
    expect(unknown.stderr).toContain('not authenticated')
    expect(unknown.stderr).not.toContain('not found')
  })

  it("outside a namespace's allowed groups get PERMISSION_DENIED naming the namespace", async () => {
    const carol = await cli('carol', ['kv', 'get', 'guarded', 'k'])
    expect(carol.code).toBe(1)
    expect(carol.stderr).toContain('permission denied: carol@example.test may not use namespace guarded: it admits members of platform-team only')
    const alice = await cli('alice', ['kv', 'get', 'guarded', 'k'])
    expect(alice.stderr).toContain('may not use namespace guarded')
  })

  it('of a session-aware pattern must be authenticated; any authenticated caller passes when no groups are set', async () => {
    const none = await cli(undefined, ['kv', 'set', 'with-sessions', 'k', 'v'])
    expect(none.code).toBe(1)
    expect(none.stderr).toContain('not authenticated to the proxy')
    const carol = await cli('carol', ['kv', 'set', 'with-sessions', 'k', 'v'])
    expect(carol.code, carol.stderr).toBe(0)
    expect((await cli('alice', ['kv', 'get', 'with-sessions', 'k'])).stdout).toBe('v')
  })
})
