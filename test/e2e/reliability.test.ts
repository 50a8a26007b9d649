/**
 * Reliability of `prismctl admin serve` as a process (the built CLI), over real gRPC on 127.0.0.1 with a SQLite
 * store: crash safety under kill -9, compare-and-set between competing clients, 50 concurrent clients, and request
 * limits. The same store guarantees on PostgreSQL are covered by src/controlplane/store.conformance.test.ts.
 */
import {mkdtempSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {fromBinary} from '@bufbuild/protobuf'
import * as grpc from '@grpc/grpc-js'
import Database from 'better-sqlite3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createServiceClient, type ServiceClient} from '../../src/api/grpc-service.js'
import {ControlPlane} from '../../src/gen/prism/admin/v1/control_plane_pb.js'
import {BackendType, NamespaceSchema} from '../../src/gen/prism/admin/v1/resources_pb.js'
import {startAdminServer, type AdminServer} from '../helpers/admin-server.js'
import {runCli} from '../helpers/cli.js'

type Client = ServiceClient<(typeof ControlPlane)['method']>

let dir: string
beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'prism-reliability-'))))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

/** `dbPath` undefined: the default store, controlplane.db in the config dir. */
function serve(dbPath: string | undefined, extraArgs: string[] = []): Promise<AdminServer> {
  return startAdminServer({configDir: dir, store: dbPath === undefined ? null : `sqlite://${dbPath}`, args: ['--auth', 'none', ...extraArgs]})
}

const connect = (endpoint: string): Client => createServiceClient(grpc, ControlPlane, {endpoint, credentials: grpc.credentials.createInsecure(), defaultTimeoutMs: 15_000})

const namespace = (name: string, description = '') => ({
  name,
  team: 'payments',
  description,
  labels: {suite: 'reliability'},
  patterns: [{name: 'cache', type: 'keyvalue', requires: [{slot: 'kv-store', target: {case: 'backendType' as const, value: BackendType.MEMSTORE}}]}],
})

const memstore = {name: 'mem-a', type: BackendType.MEMSTORE, config: {case: 'memstore' as const, value: {maxKeys: 1000}}}

async function listAll(client: Client): Promise<string[]> {
  const names: string[] = []
  let pageToken = ''
  do {
    const page = await client.listNamespaces({pageSize: 500, pageToken})
    names.push(...page.namespaces.map((n) => n.name))
    pageToken = page.nextPageToken
  } while (pageToken)
  return names
}

const codeOf = (err: unknown) => grpc.status[(err as grpc.ServiceError).code]

describe('admin serve reliability (SQLite)', () => {
  it('(a) after kill -9 in the middle of creates, every acknowledged create is there and nothing is half-written', async () => {
    const db = join(dir, 'crash.db')
    const first = await serve(db)
    const client = connect(first.endpoint)
    await client.registerBackend({backend: memstore})
    const acknowledged = new Set<string>()
    const attempted = new Set<string>()
    let next = 0
    let killed = false
    let killSent!: () => void
    const killedNow = new Promise<void>((resolve) => (killSent = resolve))
    const writers = Array.from({length: 8}, async () => {
      while (!killed) {
        const name = `crash-${String(next++).padStart(5, '0')}`
        attempted.add(name)
        try {
          await client.createNamespace({namespace: namespace(name)})
          acknowledged.add(name)
          // Kill while calls are still in flight, once enough have been acknowledged.
          if (acknowledged.size === 200 && !killed) {
            killed = true
            first.child.kill('SIGKILL')
            killSent()
          }
        } catch {
          if (!killed) throw new Error(`create ${name} failed before the kill:\n${first.logs()}`)
        }
      }
    })
    await killedNow
    await Promise.all(writers)
    client.close()
    expect((await first.exited).signal).toBe('SIGKILL')
    expect(acknowledged.size).toBeGreaterThanOrEqual(200)

    const second = await serve(db)
    const after = connect(second.endpoint)
    try {
      const stored = await listAll(after)
      for (const name of acknowledged) expect(stored).toContain(name)
      for (const name of stored) expect(attempted.has(name)).toBe(true)
      for (const name of [...acknowledged].slice(0, 20)) expect((await after.getNamespace({name})).status?.meta?.version).toBe(1n)
      const audited = new Set<string>()
      let pageToken = ''
      do {
        const page = await after.listAuditEvents({pageSize: 1000, pageToken})
        for (const e of page.events) if (e.action === 'CreateNamespace' && e.outcome === 'OK') audited.add(e.resourceName)
        pageToken = page.nextPageToken
      } while (pageToken)
      // the audit event commits with the write: one for every stored namespace, none for a lost one
      expect([...audited].sort()).toEqual([...stored].sort())
    } finally {
      after.close()
      expect((await second.stop()).code).toBe(0)
    }

    // The file itself: intact, every row decodes, indexed columns agree with the protobuf.
    const sqlite = new Database(db, {readonly: true})
    try {
      expect(sqlite.pragma('integrity_check', {simple: true})).toBe('ok')
      const rows = sqlite.prepare('SELECT name, team, version, data FROM namespaces').all() as {name: string; team: string; version: number; data: Buffer}[]
      expect(rows.length).toBeGreaterThanOrEqual(acknowledged.size)
      for (const row of rows) {
        const ns = fromBinary(NamespaceSchema, row.data)
        expect([ns.name, ns.team, Number(ns.status?.meta?.version)]).toEqual([row.name, row.team, row.version])
        expect(ns.status?.patterns[0]?.bindings[0]?.backend).toBe('mem-a')
      }
      const bindings = sqlite.prepare("SELECT count(*) AS n FROM namespace_bindings WHERE backend = 'mem-a'").get() as {n: number}
      expect(bindings.n).toBe(rows.length)
    } finally {
      sqlite.close()
    }
  })

  it('(b) two clients applying with the same expected version: exactly one wins, no lost update', async () => {
    const server = await serve(join(dir, 'cas.db'))
    const alice = connect(server.endpoint)
    const bob = connect(server.endpoint)
    try {
      await alice.registerBackend({backend: memstore})
      await alice.createNamespace({namespace: namespace('contested')})
      for (let round = 1; round <= 20; round++) {
        const expectedVersion = BigInt(round)
        const results = await Promise.allSettled([
          alice.applyNamespace({namespace: namespace('contested', `alice ${round}`), expectedVersion}),
          bob.applyNamespace({namespace: namespace('contested', `bob ${round}`), expectedVersion}),
        ])
        const won = results.filter((r) => r.status === 'fulfilled')
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
        expect(won).toHaveLength(1)
        expect(lost.map((r) => codeOf(r.reason))).toEqual(['ABORTED'])
        expect((lost[0]!.reason as grpc.ServiceError).details).toMatch(/re-read|Re-read|nothing was written/)
        const winner = results[0]!.status === 'fulfilled' ? 'alice' : 'bob'
        const stored = await alice.getNamespace({name: 'contested'})
        expect(stored.description).toBe(`${winner} ${round}`)
        expect(stored.status?.meta?.version).toBe(expectedVersion + 1n)
      }
    } finally {
      alice.close()
      bob.close()
      expect((await server.stop()).code).toBe(0)
    }
  })

  it('(c) 50 concurrent clients creating and reading for 3 s: no errors, consistent data', async () => {
    const server = await serve(join(dir, 'load.db'))
    const clients = Array.from({length: 50}, () => connect(server.endpoint))
    try {
      await clients[0]!.registerBackend({backend: memstore})
      const created: string[][] = clients.map(() => [])
      const errors: string[] = []
      const until = Date.now() + 3000
      await Promise.all(
        clients.map(async (client, i) => {
          for (let n = 0; Date.now() < until; n++) {
            const name = `load-${String(i).padStart(2, '0')}-${n}`
            try {
              await client.createNamespace({namespace: namespace(name)})
              created[i]!.push(name)
              const got = await client.getNamespace({name})
              if (got.name !== name || got.status?.meta?.version !== 1n) errors.push(`${name}: read back ${got.name} v${got.status?.meta?.version}`)
              if (n % 10 === 0) await client.listNamespaces({pageSize: 20})
            } catch (err) {
              errors.push(`${name}: ${(err as Error).message}`)
            }
          }
        }),
      )
      expect(errors).toEqual([])
      const all = created.flat()
      expect(all.length).toBeGreaterThan(50)
      expect((await listAll(clients[0]!)).sort()).toEqual(all.sort())
    } finally {
      for (const c of clients) c.close()
      expect((await server.stop()).code).toBe(0)
    }
  })

  it('SIGTERM drains: watches end cleanly, in-flight writes finish, the process exits 0', async () => {
    const db = join(dir, 'drain.db')
    const server = await serve(db)
    const client = connect(server.endpoint)
    await client.registerBackend({backend: memstore})
    const watch = client.watch({proxyId: 'drain-test'})[Symbol.asyncIterator]()
    expect((await watch.next()).value?.resource.case).toBe('backend')
    const acknowledged: string[] = []
    const writes = Array.from({length: 40}, (_, i) =>
      client.createNamespace({namespace: namespace(`drain-${i}`)}).then(
        () => void acknowledged.push(`drain-${i}`),
        (err: unknown) => expect(codeOf(err)).toBe('UNAVAILABLE'),
      ),
    )
    server.child.kill('SIGTERM')
    await Promise.all(writes)
    // the watch ends (OK status) instead of being cut
    for (let r = await watch.next(); !r.done; r = await watch.next()) expect(r.value.type).toBeGreaterThan(0)
    expect(await server.exited).toEqual({code: 0, signal: null})
    expect(server.logs()).toContain('SIGTERM: draining in-flight calls')
    client.close()

    const again = await serve(db, ['--json'])
    const after = connect(again.endpoint)
    try {
      const stored = await listAll(after)
      for (const name of acknowledged) expect(stored).toContain(name)
    } finally {
      after.close()
      expect(await again.stop()).toEqual({code: 0, signal: null})
    }
    // --json: stdout is only the result object; the listening line went to stderr.
    expect(JSON.parse(again.stdout())).toEqual({address: again.endpoint, store: db})
  })

  it('needs --auth none or --issuer; --auth none warns, defaults to controlplane.db (0600) in the config dir, and SIGINT stops it with exit 0', async () => {
    const noAuth = await runCli(['admin', 'serve', '--listen', '127.0.0.1:0'], {configDir: dir})
    expect([noAuth.code, noAuth.stderr]).toEqual([2, 'Error: say how callers authenticate: --issuer URL (OIDC) or --auth none\nHint: e.g. --issuer http://localhost:5556/dex --audience prismctl\n'])
    const both = await runCli(['admin', 'serve', '--auth', 'none', '--issuer', 'http://127.0.0.1:1/dex'], {configDir: dir})
    expect([both.code, both.stderr]).toEqual([2, 'Error: --auth none and --issuer contradict each other\nHint: Drop --issuer to run without auth, or drop --auth none.\n'])

    const db = join(dir, 'controlplane.db')
    const server = await serve(undefined)
    const client = connect(server.endpoint)
    await client.registerBackend({backend: memstore})
    client.close()
    server.child.kill('SIGINT')
    expect(await server.exited).toEqual({code: 0, signal: null})
    expect(server.logs()).toContain('WARNING: --auth none: this control plane accepts ANY caller as admin')
    expect(server.logs()).toContain(`store: sqlite ${db}\n`)
    expect(server.logs()).toContain('SIGINT: draining in-flight calls')
    expect(statSync(db).mode & 0o777).toBe(0o600)
    const again = await serve(db)
    const after = connect(again.endpoint)
    try {
      expect((await after.getBackend({name: memstore.name})).name).toBe(memstore.name)
    } finally {
      after.close()
      await again.stop()
    }
  })

  it('(d) refuses an oversized request and a huge label map with clear errors', async () => {
    const server = await serve(join(dir, 'limits.db'))
    const client = connect(server.endpoint)
    try {
      await client.registerBackend({backend: memstore})
      const oversized = await client.createNamespace({namespace: namespace('too-big', 'x'.repeat(2 * 1024 * 1024))}).catch((e: grpc.ServiceError) => e)
      expect(codeOf(oversized)).toBe('RESOURCE_EXHAUSTED')
      expect((oversized as grpc.ServiceError).details).toMatch(/larger than max/i)

      const labels = Object.fromEntries(Array.from({length: 5000}, (_, i) => [`label-${i}`, 'v']))
      const huge = await client.createNamespace({namespace: {...namespace('many-labels'), labels}}).catch((e: grpc.ServiceError) => e)
      expect(codeOf(huge)).toBe('INVALID_ARGUMENT')
      const details = (huge as grpc.ServiceError).metadata.get('grpc-status-details-bin')
      expect(details).toHaveLength(1)
      expect(Buffer.from(details[0] as Buffer).toString('latin1')).toContain('at most 64 entries are allowed, got 5000')
      // refused requests leave nothing behind, and the server keeps serving
      expect(await listAll(client)).toEqual([])
      expect((await client.echo({message: 'still up'})).message).toBe('still up')
    } finally {
      client.close()
      expect((await server.stop()).code).toBe(0)
    }
  })
})
