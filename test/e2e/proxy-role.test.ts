/**
 * The proxy role end to end: `admin serve --issuer` with real tokens from the OIDC test provider (paul is in the
 * `proxies` group, mapped to the proxy role by default). Watch carries static secrets in clear for the proxy role
 * only; a lease makes a namespace ACTIVE with the proxy's id in `prismctl namespace get`, and PENDING again when it
 * is released or lapses.
 */
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import * as grpc from '@grpc/grpc-js'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createServiceClient, type ServiceClient} from '../../src/api/grpc-service.js'
import {ControlPlane, WatchEventType, type WatchEvent} from '../../src/gen/prism/admin/v1/control_plane_pb.js'
import {startAdminServer, type AdminServer} from '../helpers/admin-server.js'
import {runCli, tempDir, type CliResult} from '../helpers/cli.js'
import {jsonOf} from '../helpers/control-plane.js'
import {CLIENT_ID, idTokenFor, startTestProvider, type TestProvider} from '../helpers/oidc-provider.js'

type Client = ServiceClient<(typeof ControlPlane)['method']>

const PASSWORD = 'redis-static-pw'

let op: TestProvider
let server: AdminServer
let files: string
const tokens: Record<string, string> = {}

beforeAll(async () => {
  op = await startTestProvider()
  server = await startAdminServer({args: ['--issuer', op.issuer, '--audience', CLIENT_ID]})
  files = tempDir('prism-proxy-role-')
  for (const user of ['alice', 'bob', 'carol', 'paul'] as const) tokens[user] = await idTokenFor(op.issuer, user)
  const manifest = join(files, 'served.yaml')
  writeFileSync(
    manifest,
    [
      'kind: Backend',
      'name: redis-secret',
      'type: redis',
      'redis: {address: "redis:6379"}',
      `credentials: {static: {username: svc, password: ${PASSWORD}}}`,
      'interfaces: [keyvalue_basic]',
      '---',
      'kind: Namespace',
      'name: served-ns',
      'team: platform',
      'patterns:',
      '  - name: cache',
      '    type: keyvalue',
      '    requires: [{slot: kv-store, backend: redis-secret}]',
      '',
    ].join('\n'),
  )
  const applied = await cli('bob', ['apply', '-f', manifest])
  expect(applied.code, applied.stderr).toBe(0)
})

afterAll(async () => {
  await server?.stop()
  await op?.close()
})

function cli(user: string, args: string[], input?: string): Promise<CliResult> {
  return runCli(args, {input, env: {PRISM_ADMIN_ENDPOINT: server.endpoint, PRISM_TOKEN: tokens[user]}})
}

function clientAs(user: string): Client {
  return createServiceClient(grpc, ControlPlane, {endpoint: server.endpoint, credentials: grpc.credentials.createInsecure(), metadata: () => ({authorization: `Bearer ${tokens[user]}`})})
}

/** A watch's snapshot, up to SYNCED. */
async function snapshotAs(user: string): Promise<WatchEvent[]> {
  const client = clientAs(user)
  const stream = client.watch({proxyId: `${user}-watch`})
  const events: WatchEvent[] = []
  try {
    for await (const event of stream) {
      if (event.type === WatchEventType.SYNCED) return events
      events.push(event)
    }
    throw new Error('watch ended before SYNCED')
  } finally {
    stream.cancel()
    client.close()
  }
}

describe('the proxy role', () => {
  it('sees static secrets in Watch; a viewer and an admin see REDACTED', async () => {
    const proxy = await snapshotAs('paul')
    const backend = proxy.find((e) => e.resource.case === 'backend')
    expect(backend?.resource.case === 'backend' && backend.resource.value.credentials?.source.value).toMatchObject({username: 'svc', password: PASSWORD})
    for (const user of ['carol', 'alice']) {
      const events = await snapshotAs(user)
      expect(events.map((e) => e.resource.value?.name)).toEqual(['redis-secret', 'served-ns'])
      expect(jsonOf(events)).not.toContain(PASSWORD)
      expect(jsonOf(events)).toContain('REDACTED')
    }
    // and nowhere else, for the proxy either
    expect((await cli('paul', ['backend', 'get', 'redis-secret', '-o', 'yaml'])).stdout).toContain('password: REDACTED')
  })

  it('a lease makes the namespace ACTIVE with the proxy id in namespace get; release makes it PENDING', async () => {
    const proxy = clientAs('paul')
    try {
      await proxy.renewProxyLease({proxyId: 'proxy-e2e-1', namespaces: ['served-ns'], ttlSeconds: 60, endpoint: '127.0.0.1:50090', version: 'test'})
      const table = await cli('carol', ['namespace', 'get', 'served-ns'])
      expect(table.code, table.stderr).toBe(0)
      expect(table.stdout).toMatch(/^NAME\s+TEAM\s+PATTERNS\s+PHASE\s+SERVED BY\s+PARTITION\s+VERSION\s+AGE\nserved-ns\s+platform\s+cache\s+ACTIVE\s+proxy-e2e-1\s+\d+\s+1\s+\d+s\n$/)

      // the export carries the status, and applies back unchanged (status is the server's)
      const yaml = await cli('carol', ['namespace', 'get', 'served-ns', '-o', 'yaml'])
      expect(yaml.stdout).toMatch(/^  phase: active$/m)
      expect(yaml.stdout).toMatch(/servingProxies:\n\s+- proxy-e2e-1/)
      const reapplied = await cli('bob', ['apply', '-f', '-'], yaml.stdout)
      expect(reapplied.stdout, reapplied.stderr).toBe('namespace/served-ns unchanged\n')

      await proxy.releaseProxyLease({proxyId: 'proxy-e2e-1'})
      expect((await cli('carol', ['namespace', 'get', 'served-ns'])).stdout).toMatch(/^served-ns\s+platform\s+cache\s+PENDING\s+<none>\s/m)
    } finally {
      proxy.close()
    }
  })

  it('a lease that lapses makes the namespace PENDING again', async () => {
    const proxy = clientAs('paul')
    try {
      await proxy.renewProxyLease({proxyId: 'proxy-e2e-short', namespaces: ['served-ns'], ttlSeconds: 60})
      expect((await cli('carol', ['namespace', 'list'])).stdout).toMatch(/^served-ns\s+platform\s+cache\s+ACTIVE\s+proxy-e2e-short\s/m)
      // The last renewal, with a short TTL; then the proxy goes quiet.
      await proxy.renewProxyLease({proxyId: 'proxy-e2e-short', namespaces: ['served-ns'], ttlSeconds: 1})
      const deadline = Date.now() + 10_000
      let listed: CliResult
      do listed = await cli('carol', ['namespace', 'list'])
      while (!/served-ns\s+platform\s+cache\s+PENDING/.test(listed.stdout) && Date.now() < deadline)
      expect(listed.stdout).toMatch(/^served-ns\s+platform\s+cache\s+PENDING\s+<none>\s/m)
    } finally {
      proxy.close()
    }
  })

  it('nobody but the proxy role may hold a lease', async () => {
    for (const user of ['carol', 'alice']) {
      const client = clientAs(user)
      try {
        const err = (await client.renewProxyLease({proxyId: 'not-a-proxy', namespaces: ['served-ns']}).catch((e: unknown) => e)) as grpc.ServiceError
        expect(err.code).toBe(grpc.status.PERMISSION_DENIED)
        expect(err.details).toMatch(/^RenewProxyLease needs the proxy role; (carol|alice)@example.test has (viewer|admin)$/)
      } finally {
        client.close()
      }
    }
    expect((await cli('carol', ['namespace', 'get', 'served-ns'])).stdout).toMatch(/PENDING/)
  })
})
