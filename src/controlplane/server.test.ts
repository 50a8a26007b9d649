/**
 * The control plane over real gRPC on 127.0.0.1, in-process, on both store engines (SQLite file, throwaway
 * PostgreSQL): behaviour of every RPC, validation, RBAC, secrets, audit, watch, health and limits.
 */
import {crc32} from 'node:zlib'

import {BinaryWriter, WireType} from '@bufbuild/protobuf/wire'
import {timestampFromDate} from '@bufbuild/protobuf/wkt'
import {create, fromBinary, toBinary} from '@bufbuild/protobuf'
import * as grpc from '@grpc/grpc-js'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {clientFor, failure, kvNamespace, nats, redis, roleAuthenticator, startServer, storeUrls, type Client, type Engine} from '../../test/helpers/control-plane.js'
import {createServiceClient} from '../api/grpc-service.js'
import {Health, HealthCheckResponse_ServingStatus} from '../gen/grpc/health/v1/health_pb.js'
import {ApplyResult, ControlPlane, CreateNamespaceRequestSchema, LabelOperator, WatchEventType} from '../gen/prism/admin/v1/control_plane_pb.js'
import type {WatchEvent} from '../gen/prism/admin/v1/control_plane_pb.js'
import {BackendSchema, BackendType, NamespacePhase, NamespaceSchema} from '../gen/prism/admin/v1/resources_pb.js'
import type {Authenticator} from './authn.js'
import type {RunningServer} from './server.js'

const urls = storeUrls()
afterAll(() => urls.cleanup())

const start = async (engine: Engine, authenticator?: Authenticator) => startServer(await urls.fresh(engine), authenticator)

describe.each(['sqlite', 'postgres'] as const)('control plane server on %s', (engine) => {
  let server: RunningServer
  let client: Client
  beforeEach(async () => {
    server = await start(engine)
    client = clientFor(server)
  })
  afterEach(async () => {
    client.close()
    await server.shutdown(1000)
  })

  it('creates a namespace with server status: meta, partition, phase, resolved bindings', async () => {
    await client.registerBackend({backend: redis('redis-b')})
    await client.registerBackend({backend: redis('redis-a')})
    const {namespace} = await client.createNamespace({namespace: kvNamespace('orders')})
    const status = namespace!.status!
    expect(status.meta).toMatchObject({version: 1n, createdBy: 'anonymous', updatedBy: 'anonymous'})
    expect(status.partition).toBe(crc32('orders') % 256)
    expect(status.phase).toBe(NamespacePhase.PENDING)
    expect(status.patterns).toHaveLength(1)
    expect(status.patterns[0]).toMatchObject({name: 'cache', type: 'keyvalue', version: '1.1.0'})
    expect(status.patterns[0]!.bindings[0]).toMatchObject({
      slot: 'kv-store',
      direction: 'requires',
      backend: 'redis-a',
      backendType: BackendType.REDIS,
      chosen: true,
      connection: 'redis://redis-a:6379/0',
      credentialsPath: 'vault://secret/data/prism/orders/kv-store',
      interfaces: ['keyvalue_basic'],
    })
    expect((await failure(client.createNamespace({namespace: kvNamespace('orders')}))).code).toBe('ALREADY_EXISTS')
    const got = await client.getNamespace({name: 'orders'})
    expect(got.status?.meta?.version).toBe(1n)
    expect((await failure(client.getNamespace({name: 'missing-ns'}))).code).toBe('NOT_FOUND')
  })

  it('applies: CREATED, UNCHANGED (status ignored), CONFIGURED, and compare-and-set', async () => {
    await client.registerBackend({backend: redis('redis-a')})
    const first = await client.applyNamespace({namespace: kvNamespace('orders')})
    expect(first.result).toBe(ApplyResult.CREATED)
    // what `get -o yaml` returns, status included, applies back unchanged
    const again = await client.applyNamespace({namespace: await client.getNamespace({name: 'orders'})})
    expect(again.result).toBe(ApplyResult.UNCHANGED)
    expect(again.namespace?.status?.meta?.version).toBe(1n)
    const changed = await client.applyNamespace({namespace: kvNamespace('orders', {description: 'orders cache'}), expectedVersion: 1n})
    expect(changed.result).toBe(ApplyResult.CONFIGURED)
    expect(changed.namespace?.status?.meta?.version).toBe(2n)
    const stale = await failure(client.applyNamespace({namespace: kvNamespace('orders', {description: 'lost update'}), expectedVersion: 1n}))
    expect(stale.code).toBe('ABORTED')
    expect(stale.message).toMatch(/expected version 1, the stored version is 2; nothing was written/)
    expect((await client.getNamespace({name: 'orders'})).description).toBe('orders cache')
  })

  it('keeps a chosen backend across edits, and validates delete preconditions', async () => {
    await client.registerBackend({backend: redis('redis-m')})
    await client.createNamespace({namespace: kvNamespace('orders')})
    // an alphabetically earlier candidate appears: the existing choice stays, a new namespace gets the first one
    await client.registerBackend({backend: redis('redis-a')})
    const edited = await client.applyNamespace({namespace: kvNamespace('orders', {description: 'edited'})})
    expect(edited.namespace?.status?.patterns[0]?.bindings[0]?.backend).toBe('redis-m')
    expect((await client.createNamespace({namespace: kvNamespace('carts')})).namespace?.status?.patterns[0]?.bindings[0]?.backend).toBe('redis-a')

    expect((await failure(client.deleteNamespace({name: 'orders', expectedVersion: 1n}))).code).toBe('ABORTED')
    expect((await client.deleteNamespace({name: 'orders', dryRun: true})).namespace?.name).toBe('orders')
    expect((await client.getNamespace({name: 'orders'})).status?.meta?.version).toBe(2n)
    const dryRefused = await failure(client.deleteBackend({name: 'redis-m', dryRun: true}))
    expect(dryRefused.code).toBe('FAILED_PRECONDITION')
    await client.deleteNamespace({name: 'orders', expectedVersion: 2n})
    expect((await client.deleteBackend({name: 'redis-m'})).backend?.name).toBe('redis-m')
  })

  it('dry runs return what would be stored and store nothing', async () => {
    await client.registerBackend({backend: redis('redis-a')})
    const dry = await client.createNamespace({namespace: kvNamespace('orders'), dryRun: true})
    expect(dry.namespace?.status?.patterns[0]?.bindings[0]?.backend).toBe('redis-a')
    expect((await failure(client.getNamespace({name: 'orders'}))).code).toBe('NOT_FOUND')
    expect((await client.registerBackend({backend: redis('redis-z'), dryRun: true})).backend?.status?.meta?.version).toBe(1n)
    expect((await failure(client.getBackend({name: 'redis-z'}))).code).toBe('NOT_FOUND')
    expect((await client.listAuditEvents({})).events.map((e) => e.resourceName)).toEqual(['redis-a'])
  })

  it('reports every violation at once, as google.rpc.BadRequest field violations', async () => {
    await client.registerBackend({backend: nats('nats-a')})
    const bad = await failure(
      client.createNamespace({
        namespace: {
          name: 'orders',
          team: 'payments',
          patterns: [
            {name: 'one', type: 'keyvalue', requires: [{slot: 'kv-store', target: {case: 'backend', value: 'nats-a'}}]},
            {name: 'two', type: 'no-such-pattern'},
            {name: 'three', type: 'keyvalue', version: '9.9.9'},
            {name: 'four', type: 'queue', requires: [{slot: 'message-queue', target: {case: 'backend', value: 'ghost-backend'}}]},
            {name: 'five', type: 'pubsub', requires: [{slot: 'message-bus', target: {case: 'backendType', value: BackendType.KAFKA}}, {slot: 'extra-slot', target: {case: 'backend', value: 'nats-a'}}]},
            {name: 'six', type: 'producer'},
            {name: 'seven', type: 'keyvalue', requires: [{slot: 'kv-store'}]},
          ],
        },
      }),
    )
    expect(bad.code).toBe('INVALID_ARGUMENT')
    const fields = bad.violations.map((v) => v.field)
    expect(fields).toEqual(
      expect.arrayContaining([
        'patterns[0].requires[0].backend',
        'patterns[1].type',
        'patterns[2].version',
        'patterns[3].requires[0].backend',
        'patterns[4].requires[0].backendType',
        'patterns[4].requires[1].slot',
        'patterns[5].requires',
      ]),
    )
    expect(bad.violations.find((v) => v.field === 'patterns[0].requires[0].backend')?.description).toMatch(/nats-a.*keyvalue_basic/)
    expect(bad.violations.find((v) => v.field === 'patterns[3].requires[0].backend')?.description).toMatch(/ghost-backend.*not registered/)
    // each problem once: a binding without a target is one violation, not one per validation layer
    expect(bad.violations.filter((v) => v.field.startsWith('patterns[6]'))).toEqual([{field: 'patterns[6].requires[0]', description: expect.stringMatching(/bind the slot to a backend/)}])
    const audit = await client.listAuditEvents({resourceName: 'orders'})
    expect(audit.events.map((e) => e.outcome)).toEqual(['INVALID_ARGUMENT'])
  })

  it('lists with pagination and filters', async () => {
    await client.registerBackend({backend: redis('redis-a')})
    for (const [i, name] of ['ns-c', 'ns-a', 'ns-e', 'ns-b', 'ns-d'].entries()) {
      await client.createNamespace({namespace: kvNamespace(name, {team: i % 2 ? 'search' : 'payments', labels: {env: i < 3 ? 'prod' : 'dev'}})})
    }
    const seen: string[] = []
    let pageToken = ''
    do {
      const page = await client.listNamespaces({pageSize: 2, pageToken})
      expect(page.namespaces.length).toBeLessThanOrEqual(2)
      seen.push(...page.namespaces.map((n) => n.name))
      pageToken = page.nextPageToken
    } while (pageToken)
    expect(seen).toEqual(['ns-a', 'ns-b', 'ns-c', 'ns-d', 'ns-e'])
    expect((await client.listNamespaces({team: 'search'})).namespaces.map((n) => n.name)).toEqual(['ns-a', 'ns-b'])
    expect((await client.listNamespaces({labels: {env: 'prod'}, team: 'payments'})).namespaces.map((n) => n.name)).toEqual(['ns-c', 'ns-e'])
    expect((await failure(client.listNamespaces({pageToken: 'not a token!'}))).code).toBe('INVALID_ARGUMENT')

    await client.registerBackend({backend: nats('nats-a')})
    expect((await client.listBackends({type: BackendType.NATS})).backends.map((b) => b.name)).toEqual(['nats-a'])
    expect((await client.listBackends({})).backends.map((b) => b.name)).toEqual(['nats-a', 'redis-a'])
  })

  it('manages backends: register, update, apply, delete guarded by bindings unless forced', async () => {
    await client.registerBackend({backend: redis('redis-a')})
    expect((await failure(client.registerBackend({backend: redis('redis-a')}))).code).toBe('ALREADY_EXISTS')
    expect((await failure(client.updateBackend({backend: redis('redis-x')}))).code).toBe('NOT_FOUND')
    const updated = await client.updateBackend({backend: redis('redis-a', {description: 'primary'}), expectedVersion: 1n})
    expect(updated.backend?.status?.meta?.version).toBe(2n)
    expect((await failure(client.updateBackend({backend: redis('redis-a'), expectedVersion: 1n}))).code).toBe('ABORTED')
    expect((await client.applyBackend({backend: redis('redis-a', {description: 'primary'})})).result).toBe(ApplyResult.UNCHANGED)
    expect((await client.applyBackend({backend: redis('redis-b')})).result).toBe(ApplyResult.CREATED)

    await client.createNamespace({namespace: kvNamespace('orders', {patterns: [{name: 'kvstore', type: 'keyvalue', requires: [{slot: 'kv-store', target: {case: 'backend', value: 'redis-a'}}]}]})})
    const refused = await failure(client.deleteBackend({name: 'redis-a'}))
    expect(refused.code).toBe('FAILED_PRECONDITION')
    expect(refused.message).toContain('orders')
    expect(refused.preconditions).toEqual(['namespace/orders'])
    expect((await client.getBackend({name: 'redis-a'})).name).toBe('redis-a')
    expect((await client.deleteBackend({name: 'redis-a', force: true})).backend?.name).toBe('redis-a')
    expect((await failure(client.getBackend({name: 'redis-a'}))).code).toBe('NOT_FOUND')
    expect((await client.deleteNamespace({name: 'orders'})).namespace?.name).toBe('orders')
    expect((await failure(client.deleteNamespace({name: 'orders'}))).code).toBe('NOT_FOUND')
  })

  it('never returns static secrets, and REDACTED on write keeps the stored value', async () => {
    await client.registerBackend({backend: redis('redis-a', {credentials: {source: {case: 'static', value: {username: 'svc', password: 's3cret-pw'}}}})})
    const got = await client.getBackend({name: 'redis-a'})
    expect(got.credentials?.source).toEqual({case: 'static', value: expect.objectContaining({username: 'svc', password: 'REDACTED'})})
    expect((await client.applyBackend({backend: got})).result).toBe(ApplyResult.UNCHANGED)
    expect((await client.applyBackend({backend: {...got, description: 'x'}})).result).toBe(ApplyResult.CONFIGURED)
    const fresh = await failure(client.registerBackend({backend: redis('redis-b', {credentials: {source: {case: 'static', value: {password: 'REDACTED'}}}})}))
    expect(fresh.violations.map((v) => v.field)).toEqual(['credentials.static.password'])

    const ns = kvNamespace('orders', {patterns: [{name: 'kvstore', type: 'keyvalue', requires: [{slot: 'kv-store', target: {case: 'backend', value: 'redis-a'}, credentials: {source: {case: 'static', value: {token: 'tok-123'}}}}]}]})
    await client.createNamespace({namespace: ns})
    const stored = await client.getNamespace({name: 'orders'})
    expect(JSON.stringify(stored.patterns, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain('tok-123')
    expect((await client.applyNamespace({namespace: stored})).result).toBe(ApplyResult.UNCHANGED)
    const listed = await client.listBackends({})
    expect(JSON.stringify(listed.backends.map((b) => b.credentials))).not.toContain('s3cret-pw')
    const audit = await client.listAuditEvents({})
    expect(JSON.stringify(audit.events.map((e) => e.message))).not.toMatch(/s3cret-pw|tok-123/)
  })

  it('keeps an audit log of writes and failed attempts, newest first, paginated', async () => {
    await client.registerBackend({backend: redis('redis-a')})
    await client.createNamespace({namespace: kvNamespace('orders')})
    await failure(client.createNamespace({namespace: kvNamespace('orders')}))
    await client.deleteNamespace({name: 'orders'})
    const first = await client.listAuditEvents({pageSize: 2})
    const second = await client.listAuditEvents({pageSize: 2, pageToken: first.nextPageToken})
    const events = [...first.events, ...second.events]
    expect(events.map((e) => [e.action, e.resourceName, e.outcome])).toEqual([
      ['DeleteNamespace', 'orders', 'OK'],
      ['CreateNamespace', 'orders', 'ALREADY_EXISTS'],
      ['CreateNamespace', 'orders', 'OK'],
      ['RegisterBackend', 'redis-a', 'OK'],
    ])
    expect(second.nextPageToken).toBe('')
    expect(events[0]).toMatchObject({principal: 'anonymous', resourceKind: 'Namespace'})
    expect(events[0]!.time!.seconds).toBeGreaterThan(0n)
    expect((await client.listAuditEvents({resourceName: 'redis-a'})).events).toHaveLength(1)
  })

  it('watch: current resources, SYNCED, then live changes; ends when the server stops', async () => {
    await client.registerBackend({backend: redis('redis-a', {credentials: {source: {case: 'static', value: {password: 'pw-watch'}}}})})
    await client.createNamespace({namespace: kvNamespace('orders')})
    const stream = client.watch({proxyId: 'test'})
    const events: WatchEvent[] = []
    const iterator = stream[Symbol.asyncIterator]()
    const next = async () => {
      const r = await iterator.next()
      if (r.done) throw new Error('stream ended')
      events.push(r.value)
      return r.value
    }
    expect((await next()).resource).toMatchObject({case: 'backend', value: {name: 'redis-a'}})
    expect((await next()).resource).toMatchObject({case: 'namespace', value: {name: 'orders'}})
    expect((await next()).type).toBe(WatchEventType.SYNCED)
    await client.createNamespace({namespace: kvNamespace('carts')})
    expect(await next()).toMatchObject({type: WatchEventType.UPSERT, resource: {case: 'namespace', value: {name: 'carts'}}})
    await client.deleteNamespace({name: 'carts'})
    expect(await next()).toMatchObject({type: WatchEventType.DELETE, resource: {case: 'namespace', value: {name: 'carts'}}})
    expect(events.map((e) => e.resource.value?.name)).toEqual(['redis-a', 'orders', undefined, 'carts', 'carts'])
    // --auth none: the anonymous caller has the proxy role too, so a local proxy gets the credentials it connects with.
    expect(events[0]!.resource.value?.$typeName === 'prism.admin.v1.Backend' && events[0]!.resource.value.credentials?.source.value).toMatchObject({password: 'pw-watch'})
    await server.shutdown(1000)
    expect((await iterator.next()).done).toBe(true)
  })

  it('serves grpc.health.v1 Check and Watch', async () => {
    const health = createServiceClient(grpc, Health, {endpoint: server.address, credentials: grpc.credentials.createInsecure()})
    try {
      expect((await health.check({service: ''})).status).toBe(HealthCheckResponse_ServingStatus.SERVING)
      expect((await health.check({service: 'prism.admin.v1.ControlPlane'})).status).toBe(HealthCheckResponse_ServingStatus.SERVING)
      expect((await failure(health.check({service: 'nope.Service'}))).code).toBe('NOT_FOUND')
      const stream = health.watch({service: ''})[Symbol.asyncIterator]()
      expect((await stream.next()).value?.status).toBe(HealthCheckResponse_ServingStatus.SERVING)
      const shutdown = server.shutdown(1000)
      expect((await stream.next()).value?.status).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING)
      await shutdown
    } finally {
      health.close()
    }
  })

  it('echoes and says who the caller is', async () => {
    expect((await client.echo({message: 'ping'})).message).toBe('ping')
    expect(await client.whoAmI({})).toMatchObject({principal: 'anonymous', roles: ['admin', 'proxy'], authEnabled: false})
  })

  it('refuses oversized requests and limits with clear errors', async () => {
    const big = await failure(client.createNamespace({namespace: kvNamespace('orders', {description: 'x'.repeat(1_100_000)})}))
    expect(big.code).toBe('RESOURCE_EXHAUSTED')
    expect(big.message).toMatch(/larger than max/i)

    const labels = Object.fromEntries(Array.from({length: 65}, (_, i) => [`k${i}`, 'v']))
    const many = await failure(
      client.createNamespace({
        namespace: kvNamespace('orders', {
          labels: {...labels, ['k'.repeat(64)]: 'v', long: 'v'.repeat(257)},
          description: 'd'.repeat(1025),
          patterns: Array.from({length: 33}, (_, i) => ({name: `p${i}xx`, type: 'keyvalue', requires: Array.from({length: 17}, (_, j) => ({slot: `kv${j}-store`}))})),
        }),
      }),
    )
    // The server checks the limits itself (a client need not run prismctl's validation), and lists them first.
    expect(many.code).toBe('INVALID_ARGUMENT')
    expect(many.violations.slice(0, 4)).toEqual([
      {field: 'description', description: 'at most 1024 characters are allowed, got 1025'},
      {field: 'labels', description: 'at most 64 entries are allowed, got 67'},
      {field: 'patterns', description: 'at most 32 patterns are allowed, got 33'},
      {field: 'patterns[0].requires', description: 'at most 16 bindings are allowed, got 17'},
    ])
  })

  it('limits label filters, and the backend, credential and group fields other limits do not cover', async () => {
    const filters = Object.fromEntries(Array.from({length: 17}, (_, i) => [`k${i}`, 'v']))
    const tooMany = await failure(client.listNamespaces({labels: filters}))
    expect(tooMany.code).toBe('INVALID_ARGUMENT')
    expect(tooMany.violations).toEqual([{field: 'labels', description: 'at most 16 label filters are allowed, got 17'}])
    delete filters.k16
    expect((await client.listNamespaces({labels: filters})).namespaces).toEqual([])
    const badSelector = await failure(client.listBackends({labelSelector: [{key: 'Bad Key', operator: LabelOperator.IN, values: ['x']}, {key: 'env', operator: LabelOperator.EXISTS, values: ['x']}]}))
    expect(badSelector.code).toBe('INVALID_ARGUMENT')
    expect(badSelector.violations.map((v) => v.field)).toEqual(['label_selector[0].key', 'label_selector[1].values'])

    const kafka = await failure(
      client.registerBackend({
        backend: {
          name: 'kafka-a',
          type: BackendType.KAFKA,
          config: {case: 'kafka', value: {brokers: Array.from({length: 65}, (_, i) => `b${i}:9092`), clientId: 'c'.repeat(1025)}},
          credentials: {source: {case: 'static', value: {username: 'u'.repeat(4097), password: 'p'.repeat(4097), token: 't'.repeat(4097)}}},
        },
      }),
    )
    expect(kafka.code).toBe('INVALID_ARGUMENT')
    expect(kafka.violations).toEqual([
      {field: 'kafka.brokers', description: 'at most 64 entries are allowed, got 65'},
      {field: 'kafka.clientId', description: 'at most 1024 characters are allowed, got 1025'},
      {field: 'credentials.static.username', description: 'at most 4096 characters are allowed, got 4097'},
      {field: 'credentials.static.password', description: 'at most 4096 characters are allowed, got 4097'},
      {field: 'credentials.static.token', description: 'at most 4096 characters are allowed, got 4097'},
    ])
    // The long values themselves are never echoed (the password least of all).
    expect(kafka.message + kafka.violations.map((v) => v.description).join()).not.toMatch(/ppp|uuu|ccc/)
    expect((await failure(client.registerBackend({backend: redis('redis-a', {config: {case: 'redis', value: {address: `${'h'.repeat(1030)}:6379`}}})}))).violations).toEqual([
      {field: 'redis.address', description: 'at most 1024 characters are allowed, got 1035'},
    ])

    await client.registerBackend({backend: redis('redis-a')})
    const ns = await failure(
      client.createNamespace({
        namespace: kvNamespace('orders', {
          patterns: [{name: 'cache', type: 'keyvalue', requires: [{slot: 'kv-store', target: {case: 'backend', value: 'redis-a'}, credentials: {source: {case: 'vaultPath', value: `vault://${'s'.repeat(1020)}`}}}]}],
          auth: {enabled: true, provider: 'oidc', allowedGroups: ['ok', 'g'.repeat(257)]},
        }),
      }),
    )
    expect(ns.code).toBe('INVALID_ARGUMENT')
    expect(ns.violations).toEqual([
      {field: 'patterns[0].requires[0].credentials.vaultPath', description: 'at most 1024 characters are allowed, got 1028'},
      {field: 'auth.allowedGroups[1]', description: 'at most 256 characters are allowed, got 257'},
    ])
  })

  it('drops unknown protobuf fields on every write: none is stored or served back', async () => {
    // Raw request bytes: the resource, plus a 100 KB field no schema has, at the top and (by the protobuf rule that a
    // message field seen twice is merged) inside a nested message.
    const field = (no: number, payload: Uint8Array) => new BinaryWriter().tag(no, WireType.LengthDelimited).bytes(payload).finish()
    const junk = field(9000, new Uint8Array(100_000).fill(0x78))
    const withJunk = (message: Uint8Array, nestedField: number) => field(1, Buffer.concat([message, junk, field(nestedField, junk)]))
    const createNs = withJunk(toBinary(NamespaceSchema, create(NamespaceSchema, kvNamespace('orders'))), 6) // auth
    const registerBackend = withJunk(toBinary(BackendSchema, create(BackendSchema, redis('redis-a'))), 3) // redis config
    // The server does receive unknown fields, where the test means them to be.
    const sent = fromBinary(CreateNamespaceRequestSchema, createNs)
    expect([sent.namespace?.$unknown?.length, sent.namespace?.auth?.$unknown?.length]).toEqual([1, 1])

    const raw = new grpc.Client(server.address, grpc.credentials.createInsecure())
    const call = (method: string, bytes: Uint8Array) =>
      new Promise<Buffer>((resolve, reject) =>
        raw.makeUnaryRequest(`/${ControlPlane.typeName}/${method}`, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(bytes), (err, res) => (err ? reject(err) : resolve(res!))),
      )
    try {
      expect((await call('RegisterBackend', registerBackend)).length).toBeLessThan(10_000)
      expect((await call('CreateNamespace', createNs)).length).toBeLessThan(10_000)
      expect((await call('ApplyNamespace', createNs)).length).toBeLessThan(10_000)
    } finally {
      raw.close()
    }
    const got = await client.getNamespace({name: 'orders'})
    const served = [got, await client.getBackend({name: 'redis-a'}), ...(await client.listNamespaces({})).namespaces]
    expect(served.map(unknownFieldsIn)).toEqual([0, 0, 0])
    expect(got.auth).toBeDefined()
  })
})

/** How many messages in a tree carry unknown fields. */
function unknownFieldsIn(value: unknown): number {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return 0
  return ('$unknown' in value ? 1 : 0) + Object.values(value).reduce((n: number, v) => n + unknownFieldsIn(v), 0)
}

describe('control plane RBAC', () => {
  let server: RunningServer
  beforeAll(async () => {
    server = await start('sqlite', roleAuthenticator)
  })
  afterAll(() => server.shutdown(1000))

  it('needs a token, and the right role for each RPC', async () => {
    const anonymous = clientFor(server)
    const viewer = clientFor(server, 'viewer')
    const operator = clientFor(server, 'operator')
    const admin = clientFor(server, 'admin')
    const nobody = clientFor(server, 'nobody')
    try {
      expect((await failure(anonymous.listNamespaces({}))).code).toBe('UNAUTHENTICATED')
      expect((await failure(anonymous.echo({}))).code).toBe('UNAUTHENTICATED')
      // a refused stream ends with its status too (it used to leave the client waiting)
      expect((await failure(anonymous.watch({})[Symbol.asyncIterator]().next())).code).toBe('UNAUTHENTICATED')
      expect((await failure(nobody.watch({})[Symbol.asyncIterator]().next())).code).toBe('PERMISSION_DENIED')
      expect((await failure(nobody.getNamespace({name: 'orders'}))).code).toBe('PERMISSION_DENIED')

      expect((await viewer.listNamespaces({})).namespaces).toEqual([])
      expect((await viewer.echo({message: 'hi'})).message).toBe('hi')
      expect(await viewer.whoAmI({})).toMatchObject({principal: 'viewer@example.com', roles: ['viewer'], authEnabled: true, issuer: 'https://issuer.test'})
      const denied = await failure(viewer.registerBackend({backend: redis('redis-a')}))
      expect(denied).toMatchObject({code: 'PERMISSION_DENIED'})
      expect(denied.message).toMatch(/needs the operator role/)

      await operator.registerBackend({backend: redis('redis-a')})
      await operator.applyNamespace({namespace: kvNamespace('orders')})
      expect((await failure(operator.deleteNamespace({name: 'orders'}))).message).toMatch(/needs the admin role/)
      expect((await failure(operator.listAuditEvents({}))).code).toBe('PERMISSION_DENIED')

      await admin.deleteNamespace({name: 'orders'})
      const audit = await admin.listAuditEvents({})
      expect(audit.events.map((e) => [e.principal, e.action, e.outcome])).toEqual([
        ['admin@example.com', 'DeleteNamespace', 'OK'],
        ['operator@example.com', 'DeleteNamespace', 'PERMISSION_DENIED'],
        ['operator@example.com', 'ApplyNamespace', 'OK'],
        ['operator@example.com', 'RegisterBackend', 'OK'],
        ['viewer@example.com', 'RegisterBackend', 'PERMISSION_DENIED'],
      ])
      expect((await failure(admin.getNamespace({name: 'orders'}))).code).toBe('NOT_FOUND')
    } finally {
      for (const c of [anonymous, viewer, operator, admin, nobody]) c.close()
    }
  })

  it('a caller without a role hammering writes fills the audit log at a bounded rate: one entry per principal and minute', async () => {
    const nobody = clientFor(server, 'nobody')
    const admin = clientFor(server, 'admin')
    const attempts = 2000
    try {
      const writes = [
        () => nobody.createNamespace({namespace: kvNamespace('spam')}),
        () => nobody.applyNamespace({namespace: kvNamespace('spam')}),
        () => nobody.registerBackend({backend: redis('spam-backend')}),
        () => nobody.deleteBackend({name: 'spam-backend'}),
      ]
      const codes = new Set<string>()
      const started = Date.now()
      for (let batch = 0; batch < attempts / 100; batch++) {
        const results = await Promise.all(Array.from({length: 100}, (_, i) => failure(writes[i % writes.length]!())))
        for (const r of results) codes.add(r.code)
      }
      expect(codes).toEqual(new Set(['PERMISSION_DENIED']))
      const minutes = Math.ceil((Date.now() - started) / 60_000)
      const mine = await admin.listAuditEvents({principal: 'nobody@example.com'})
      // One entry (more only if the run took longer than a minute), counting every attempt.
      expect(mine.events.length).toBeLessThanOrEqual(minutes)
      expect(mine.events.every((e) => e.outcome === 'PERMISSION_DENIED')).toBe(true)
      expect(mine.events.reduce((n, e) => n + e.count, 0)).toBe(attempts)
      console.log(`audit: ${mine.events.length} row(s) for ${attempts} refused writes of a caller without a role`)
      // The filters: since (nothing in the future), principal (nobody else's entries).
      expect((await admin.listAuditEvents({principal: 'nobody@example.com', since: timestampFromDate(new Date(Date.now() + 60_000))})).events).toEqual([])
      expect((await admin.listAuditEvents({})).events.some((e) => e.principal === 'admin@example.com')).toBe(true)
    } finally {
      nobody.close()
      admin.close()
    }
  })
})

describe('control plane replicas sharing PostgreSQL', () => {
  it("a watch on one replica sees writes made through another", async () => {
    const url = await urls.fresh('postgres')
    const [a, b] = await Promise.all([startServer(url), startServer(url)])
    const clientA = clientFor(a)
    const clientB = clientFor(b)
    try {
      const stream = clientA.watch({proxyId: 'replica-test'})[Symbol.asyncIterator]()
      expect((await stream.next()).value?.type).toBe(WatchEventType.SYNCED)
      await clientB.registerBackend({backend: redis('redis-a', {credentials: {source: {case: 'static', value: {password: 'replica-pw'}}}})})
      const upsert = (await stream.next()).value as WatchEvent
      expect(upsert).toMatchObject({type: WatchEventType.UPSERT, resource: {case: 'backend', value: {name: 'redis-a', status: {meta: {version: 1n}}}}})
      // a remote change reaches a proxy watcher (anonymous is one) with the stored credentials
      expect(upsert.resource.value?.$typeName === 'prism.admin.v1.Backend' && upsert.resource.value.credentials?.source.value).toMatchObject({password: 'replica-pw'})
      await clientB.deleteBackend({name: 'redis-a'})
      expect((await stream.next()).value).toMatchObject({type: WatchEventType.DELETE, resource: {case: 'backend', value: {name: 'redis-a'}}})
      // its own writes reach its watchers once, not twice
      await clientA.registerBackend({backend: redis('redis-b')})
      await clientB.registerBackend({backend: redis('redis-c')})
      const names = [(await stream.next()).value, (await stream.next()).value].map((e) => (e as WatchEvent).resource.value?.name)
      expect(names).toEqual(['redis-b', 'redis-c'])
    } finally {
      clientA.close()
      clientB.close()
      await Promise.all([a.shutdown(1000), b.shutdown(1000)])
    }
  })
})
