/**
 * The audit log end to end (issue 10 item 3): `admin serve --issuer` spawned on a SQLite store seeded with old
 * entries, the real OIDC test provider's tokens, and `prismctl audit list` through the built CLI: retention prunes
 * at start, refused writes of a caller without a role are aggregated, filters and every output format, admin only.
 */
import {rmSync} from 'node:fs'
import {join} from 'node:path'

import * as grpc from '@grpc/grpc-js'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {createServiceClient} from '../../src/api/grpc-service.js'
import {openStore} from '../../src/controlplane/store.js'
import {ControlPlane} from '../../src/gen/prism/admin/v1/control_plane_pb.js'
import {startAdminServer, type AdminServer} from '../helpers/admin-server.js'
import {kvNamespace, redis} from '../helpers/control-plane.js'
import {runCli, tempDir} from '../helpers/cli.js'
import {CLIENT_ID, idTokenFor, startTestProvider, type TestProvider} from '../helpers/oidc-provider.js'

const DAY = 86_400_000
const ATTEMPTS = 500

let op: TestProvider
let dir: string
let server: AdminServer
const tokens: Record<string, string> = {}

beforeAll(async () => {
  op = await startTestProvider()
  for (const user of ['alice', 'bob', 'carol', 'dave'] as const) tokens[user] = await idTokenFor(op.issuer, user)
  dir = tempDir('prism-audit-e2e-')
  const store = `sqlite://${join(dir, 'cp.db')}`
  // Entries written long ago (past a 30-day retention) and two hours ago (within it).
  const seeded = await openStore(store)
  const entry = (principal: string, ageMs: number) => ({time: new Date(Date.now() - ageMs), principal, action: 'CreateNamespace', resourceKind: 'Namespace', resourceName: 'seeded', outcome: 'OK', message: 'created at version 1'})
  await seeded.appendAudit(entry('ancient@example.test', 100 * DAY))
  await seeded.appendAudit(entry('ancient@example.test', 31 * DAY))
  await seeded.appendAudit(entry('earlier@example.test', 2 * 3_600_000))
  await seeded.close()
  server = await startAdminServer({store, configDir: dir, args: ['--issuer', op.issuer, '--audience', CLIENT_ID, '--audit-retention', '30d']})
})

afterAll(async () => {
  await server?.stop()
  await op?.close()
  rmSync(dir, {recursive: true, force: true})
})

const as = (user: string | undefined, args: string[]) => runCli(args, {env: {PRISM_TOKEN: user ? tokens[user] : undefined, PRISM_ADMIN_ENDPOINT: server.endpoint}})
const listJson = async (args: string[]) => {
  const r = await as('alice', ['audit', 'list', '-o', 'json', ...args])
  expect(r.code, r.stderr).toBe(0)
  return (JSON.parse(r.stdout) as {events: {principal: string; action: string; resourceName: string; outcome: string; count: number; time: string; id: string}[]}).events
}

describe('audit list against admin serve --issuer', () => {
  it('--audit-retention prunes entries older than it at start', async () => {
    expect(server.logs()).toContain('audit log: pruned 2 entries older than the retention')
    expect(await listJson(['--principal', 'ancient@example.test'])).toEqual([])
    expect((await listJson(['--principal', 'earlier@example.test'])).map((e) => e.resourceName)).toEqual(['seeded'])
  })

  it(`${ATTEMPTS} writes by a caller without a role make one entry counting them all`, async () => {
    const client = createServiceClient(grpc, ControlPlane, {endpoint: server.endpoint, credentials: grpc.credentials.createInsecure(), metadata: () => ({authorization: `Bearer ${tokens.dave}`})})
    const codes = new Set<string>()
    try {
      for (let batch = 0; batch < ATTEMPTS / 50; batch++) {
        const results = await Promise.all(Array.from({length: 50}, (_, i) => client.deleteNamespace({name: `spam-${batch}-${i}`}).then(() => 'OK', (err: grpc.ServiceError) => grpc.status[err.code]!)))
        for (const c of results) codes.add(c)
      }
    } finally {
      client.close()
    }
    expect(codes).toEqual(new Set(['PERMISSION_DENIED']))
    const events = await listJson(['--principal', 'dave@example.test'])
    expect(events.length).toBeLessThanOrEqual(2)
    expect(events.reduce((n, e) => n + e.count, 0)).toBe(ATTEMPTS)
    expect(events[0]).toMatchObject({action: 'DeleteNamespace', outcome: 'PERMISSION_DENIED'})
    console.log(`audit (admin serve): ${events.length} row(s) for ${ATTEMPTS} refused writes by a token with no role`)
  })

  /** A control plane client with a user's bearer (fixtures go over gRPC: the CLI under test is `audit list`). */
  const grpcAs = (user: string) => createServiceClient(grpc, ControlPlane, {endpoint: server.endpoint, credentials: grpc.credentials.createInsecure(), metadata: () => ({authorization: `Bearer ${tokens[user]}`})})

  it('filters by resource, principal and --since', async () => {
    const [alice, bob, carol] = [grpcAs('alice'), grpcAs('bob'), grpcAs('carol')]
    try {
      await alice.registerBackend({backend: redis('redis-audit')})
      await bob.applyNamespace({namespace: kvNamespace('audited-ns')})
      await expect(carol.applyNamespace({namespace: kvNamespace('audited-ns')})).rejects.toMatchObject({code: grpc.status.PERMISSION_DENIED})
    } finally {
      for (const c of [alice, bob, carol]) c.close()
    }
    expect((await listJson(['--resource', 'audited-ns'])).map((e) => [e.principal, e.action, e.outcome, e.count])).toEqual([
      ['carol@example.test', 'ApplyNamespace', 'PERMISSION_DENIED', 1],
      ['bob@example.test', 'ApplyNamespace', 'OK', 1],
    ])
    expect((await listJson(['--resource', 'audited-ns', '--principal', 'bob@example.test'])).map((e) => e.outcome)).toEqual(['OK'])
    // --since: the seeded entry of two hours ago is out of the last hour, in the last three.
    expect((await listJson(['--since', '1h'])).some((e) => e.principal === 'earlier@example.test')).toBe(false)
    expect((await listJson(['--since', '3h'])).some((e) => e.principal === 'earlier@example.test')).toBe(true)
  })

  it('prints a table, JSON (-o json and --json alike) and YAML', async () => {
    const about = await listJson(['--resource', 'audited-ns'])
    expect(about).toHaveLength(2)
    const yaml = await as('alice', ['audit', 'list', '--resource', 'audited-ns', '-o', 'yaml'])
    expect(yaml.code, yaml.stderr).toBe(0)
    expect(parse(yaml.stdout)).toEqual({events: about})
    const table = await as('alice', ['audit', 'list', '--resource', 'audited-ns'])
    expect(table.code, table.stderr).toBe(0)
    const lines = table.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^TIME\s+PRINCIPAL\s+ACTION\s+RESOURCE\s+OUTCOME\s+COUNT\s+MESSAGE$/)
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+carol@example\.test\s+ApplyNamespace\s+Namespace\/audited-ns\s+PERMISSION_DENIED\s+1\s+ApplyNamespace needs the operator role/)
    expect(lines).toHaveLength(3)
    const json = await as('alice', ['audit', 'list', '--resource', 'audited-ns', '--json'])
    expect(JSON.parse(json.stdout)).toEqual({events: about})
    const none = await as('alice', ['audit', 'list', '--resource', 'nothing-here'])
    expect([none.code, none.stdout, none.stderr]).toEqual([0, '', 'No audit entries found.\n'])
  })

  it('records a server dry run that compares a static secret in clear (a guess at it), and no other dry run', async () => {
    const backend = (password: string) => `kind: Backend\nname: pg-guarded\ntype: postgres\npostgres: {host: db, port: 5432, database: app}\ncredentials: {static: {username: svc, password: ${password}}}\n`
    const input = (password: string) => ({input: backend(password)}) as const
    const applied = await runCli(['apply', '-f', '-'], {...input('the-real-secret-1'), env: {PRISM_TOKEN: tokens.alice, PRISM_ADMIN_ENDPOINT: server.endpoint}})
    expect(applied.code, applied.stderr).toBe(0)
    const dryRun = (password: string) => runCli(['apply', '-f', '-', '--dry-run=server'], {...input(password), env: {PRISM_TOKEN: tokens.bob, PRISM_ADMIN_ENDPOINT: server.endpoint}})
    expect((await dryRun('a-guess')).stdout).toBe('backend/pg-guarded configured (server dry run)\n')
    expect((await dryRun('the-real-secret-1')).stdout).toBe('backend/pg-guarded unchanged (server dry run)\n')
    // The placeholder keeps what is stored: nothing is compared, nothing recorded.
    expect((await dryRun('REDACTED')).stdout).toBe('backend/pg-guarded unchanged (server dry run)\n')
    const events = await listJson(['--resource', 'pg-guarded', '--principal', 'bob@example.test'])
    expect(events.map((e) => [e.action, e.outcome, e.count])).toEqual([
      ['ApplyBackend', 'DRY_RUN', 1],
      ['ApplyBackend', 'DRY_RUN', 1],
    ])
    expect(JSON.stringify(events)).not.toMatch(/a-guess|the-real-secret/)
  })

  it('is for admins only', async () => {
    for (const user of ['bob', 'carol', 'dave']) {
      const r = await as(user, ['audit', 'list'])
      expect(r.code).toBe(1)
      expect(r.stderr).toContain('permission denied: ListAuditEvents needs the admin role')
      expect(r.stdout).toBe('')
    }
  })

  it('needs a token, and a duration for --since', async () => {
    const anonymous = await as(undefined, ['audit', 'list'])
    expect(anonymous.code).toBe(1)
    expect(anonymous.stderr).toMatch(/not logged in|not authenticated/)
    const usage = await as('alice', ['audit', 'list', '--since', 'yesterday'])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('--since expects a duration')
  })
})
