/**
 * Bearers never travel in clear (issue 10, item 9): both servers speak TLS (mutual with --client-ca), the CLI
 * verifies them with the context's CA file, the proxy follows a TLS control plane, and a bearer is never sent over
 * plaintext to an address that is not loopback unless --insecure-plaintext says so. Certificates: test/helpers/pki.ts
 * (openssl: a throwaway CA, server and client certificates it signed, and a second CA that signed neither).
 */
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startAdminServer, type AdminServer} from '../helpers/admin-server.js'
import {runCli, tempDir, type CliResult} from '../helpers/cli.js'
import {makeTestPki, type TestPki} from '../helpers/pki.js'
import {startProxyServer, waitReady, type ProxyServer} from '../helpers/proxy-server.js'

const BOUND_MS = 15_000
let pki: TestPki
beforeAll(() => {
  pki = makeTestPki()
})
afterAll(() => pki?.remove())

const serverTls = () => ['--tls-cert', pki.serverCert, '--tls-key', pki.serverKey]

/** A config directory with one context, made current. */
async function contextDir(settings: string[]): Promise<string> {
  const dir = tempDir('prism-tls-cli-')
  const saved = await runCli(['context', 'set', 'secure', ...settings, '--use'], {configDir: dir})
  expect(saved.code, saved.stderr).toBe(0)
  return dir
}

function cli(args: string[], configDir: string, env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runCli(args, {configDir, env, timeoutMs: BOUND_MS})
}

describe('the control plane over TLS', () => {
  let server: AdminServer
  beforeAll(async () => {
    server = await startAdminServer({args: ['--auth', 'none', ...serverTls()]})
  })
  afterAll(() => server?.stop())

  it('says so when it starts', () => {
    expect(server.stdout()).toMatch(/control plane listening on 127\.0\.0\.1:\d+ \(TLS\)/)
  })

  it('answers a CLI that verifies it with the context CA file, a bearer included', async () => {
    const dir = await contextDir(['--admin-endpoint', server.endpoint, '--tls', '--ca-file', pki.caFile])
    const result = await cli(['backend', 'register', 'tls-mem', '--type', 'memstore'], dir, {PRISM_TOKEN: 'a-token-the-anonymous-server-ignores'})
    expect(result.code, result.stderr).toBe(0)
    const listed = await cli(['backend', 'list', '-o', 'name'], dir)
    expect([listed.code, listed.stdout.trim()]).toEqual([0, 'backend/tls-mem'])
  })

  it('is refused, with what to do, when the certificate is not signed by the CA the context trusts', async () => {
    const dir = await contextDir(['--admin-endpoint', server.endpoint, '--tls', '--ca-file', pki.otherCaFile])
    const result = await cli(['namespace', 'list'], dir)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`Error: cannot reach the control plane at ${server.endpoint} over TLS`)
    expect(result.stderr).toMatch(/certificate/)
    expect(result.stderr).toContain('Hint: prismctl verifies the server\'s certificate with the context\'s CA file, else the system roots: if a private CA signed it, prismctl context set secure --ca-file CA.pem.')
  })

  it('is refused without a CA file too: the system roots do not know a private CA', async () => {
    const dir = await contextDir(['--admin-endpoint', server.endpoint, '--tls'])
    const result = await cli(['namespace', 'list'], dir)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('over TLS')
  })

  it('tells a plaintext client that the server may speak TLS', async () => {
    const dir = await contextDir(['--admin-endpoint', server.endpoint])
    const result = await cli(['namespace', 'list'], dir)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`Error: cannot reach the control plane at ${server.endpoint}`)
    expect(result.stderr).toContain('If it serves TLS: prismctl context set secure --tls.')
  })
})

describe('mutual TLS', () => {
  let server: AdminServer
  beforeAll(async () => {
    server = await startAdminServer({args: ['--auth', 'none', ...serverTls(), '--client-ca', pki.caFile]})
  })
  afterAll(() => server?.stop())

  it('refuses a client without a certificate', async () => {
    const dir = await contextDir(['--admin-endpoint', server.endpoint, '--tls', '--ca-file', pki.caFile])
    const result = await cli(['namespace', 'list'], dir)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`Error: cannot reach the control plane at ${server.endpoint} over TLS`)
    expect(result.stderr).toContain('also needs --cert-file and --key-file')
  })

  it('serves a client with a certificate the CA signed', async () => {
    const dir = await contextDir(['--admin-endpoint', server.endpoint, '--tls', '--ca-file', pki.caFile, '--cert-file', pki.clientCert, '--key-file', pki.clientKey])
    const result = await cli(['namespace', 'list', '-o', 'json'], dir)
    expect(result.code, result.stderr).toBe(0)
    expect(server.stdout()).toContain('(mutual TLS)')
  })

  it('needs both --cert-file and --key-file', async () => {
    const dir = await contextDir(['--admin-endpoint', server.endpoint, '--tls', '--cert-file', pki.clientCert])
    const result = await cli(['namespace', 'list'], dir)
    expect([result.code, result.stderr]).toEqual([2, expect.stringContaining('Error: context "secure" has a client certificate but no key')])
  })
})

describe('the proxy over TLS, following a TLS control plane', () => {
  let admin: AdminServer
  let proxy: ProxyServer
  let dir: string
  beforeAll(async () => {
    admin = await startAdminServer({args: ['--auth', 'none', ...serverTls()]})
    proxy = await startProxyServer({adminEndpoint: admin.endpoint, args: ['--auth', 'none', ...serverTls(), '--admin-ca-file', pki.caFile]})
    dir = await contextDir(['--admin-endpoint', admin.endpoint, '--proxy-endpoint', proxy.endpoint, '--tls', '--ca-file', pki.caFile])
  })
  afterAll(async () => {
    await proxy?.stop()
    await admin?.stop()
  })

  it('serves data through TLS on both hops', async () => {
    const namespace = join(dir, 'ns.yaml')
    writeFileSync(namespace, 'kind: Backend\nname: mem-tls\ntype: memstore\n---\nkind: Namespace\nname: tls-data\nteam: platform-team\npatterns:\n  - name: cache\n    type: keyvalue\n    requires: [{slot: kv-store, backend: mem-tls}]\n')
    expect((await cli(['apply', '-f', namespace], dir)).code).toBe(0)
    await waitReady(proxy)
    expect(proxy.logs()).toContain(`following the control plane at ${admin.endpoint} (TLS)`)
    // The proxy learns of the namespace through its Watch, over TLS.
    let set: CliResult | undefined
    for (let i = 0; i < 50 && (set = await cli(['kv', 'set', 'tls-data', 'k', 'over-tls'], dir)).code !== 0; i++) await new Promise((r) => setTimeout(r, 100))
    expect(set?.code, set?.stderr).toBe(0)
    const got = await cli(['kv', 'get', 'tls-data', 'k'], dir)
    expect([got.code, got.stdout]).toEqual([0, 'over-tls'])
  })
})

describe('a bearer in clear', () => {
  // TEST-NET-1 (RFC 5737): not loopback, and nothing answers there; the refusal must come before any connection.
  const remote = '192.0.2.1:8981'

  it('is refused for a non-loopback address without TLS, before anything is sent', async () => {
    const dir = tempDir('prism-plain-')
    const result = await cli(['namespace', 'list', '--admin-endpoint', remote], dir, {PRISM_TOKEN: 'secret-bearer'})
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`Error: refusing to send a bearer token in clear to ${remote}: context "default" does not use TLS and ${remote} is not a loopback address`)
    expect(result.stderr).toContain('Hint: Anyone on the network path could read the token and act as you until it expires.')
    expect(result.stderr).toContain('--insecure-plaintext')
    expect(result.stderr).not.toContain('secret-bearer')
  })

  it('the same for the proxy endpoint of the data commands', async () => {
    const result = await cli(['kv', 'get', 'ns', 'k', '--proxy-endpoint', '192.0.2.1:50090'], tempDir('prism-plain-'), {PRISM_TOKEN: 'secret-bearer'})
    expect([result.code, result.stderr]).toEqual([1, expect.stringContaining('Error: refusing to send a bearer token in clear to 192.0.2.1:50090')])
  })

  it('is sent when the user says --insecure-plaintext (the call then goes out, and times out here)', async () => {
    const result = await cli(['namespace', 'list', '--admin-endpoint', remote, '--insecure-plaintext', '--timeout', '1s'], tempDir('prism-plain-'), {PRISM_TOKEN: 'secret-bearer'})
    expect(result.code).toBe(1)
    expect(result.stderr).not.toContain('refusing to send')
    expect(result.stderr).toMatch(/did not answer within 1s|cannot reach the control plane/)
  })

  it('stays allowed to loopback addresses, where the dev stack runs', async () => {
    const server = await startAdminServer()
    try {
      const [, port] = server.endpoint.split(':')
      for (const endpoint of [server.endpoint, `localhost:${port}`]) {
        const result = await cli(['namespace', 'list', '--admin-endpoint', endpoint], tempDir('prism-plain-'), {PRISM_TOKEN: 'a-token'})
        expect(result.code, `${endpoint}: ${result.stderr}`).toBe(0)
      }
    } finally {
      await server.stop()
    }
  })
})
