/**
 * Mailboxes end to end: a real proxy and control plane with real tokens (two users), NATS JetStream as the message
 * source, PostgreSQL (and SQLite) as the store, and the CLI asking. The 10,000 messages of the query test go in
 * through the proxy itself, in PublishBatch calls of 500 from this test (the real publish → NATS → ingest → store
 * path, without 10,000 CLI processes); the other messages are published with the CLI.
 */
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import * as grpc from '@grpc/grpc-js'
import pg from 'pg'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createServiceClient} from '../../src/api/grpc-service.js'
import {ProducerPattern} from '../../src/gen/prism/patterns/v1/messaging_pb.js'
import {startAdminServer, type AdminServer} from '../helpers/admin-server.js'
import {runCli, tempDir, type CliResult} from '../helpers/cli.js'
import {startNats, type TestNats} from '../helpers/nats.js'
import {CLIENT_ID, idTokenFor, startTestProvider, USERS, type TestProvider} from '../helpers/oidc-provider.js'
import {startPostgres, type TestPostgres} from '../helpers/postgres.js'
import {startProxyServer, waitReady, type ProxyServer} from '../helpers/proxy-server.js'
import {eventually} from '../helpers/subscriptions.js'

let op: TestProvider
let admin: AdminServer
let proxy: ProxyServer
let nats: TestNats
let postgres: TestPostgres
let sql: pg.Client
let dir: string
const tokens: Record<string, string> = {}
const BOB = USERS.bob!.email
const ALICE = USERS.alice!.email

function cli(user: string | undefined, args: string[]): Promise<CliResult> {
  return runCli(args, {timeoutMs: 40_000, env: {PRISM_ADMIN_ENDPOINT: admin.endpoint, PRISM_PROXY_ENDPOINT: proxy.endpoint, PRISM_TOKEN: user ? tokens[user] : undefined}})
}

async function ok(user: string, args: string[]): Promise<CliResult> {
  const r = await cli(user, args)
  expect(r.code, `prismctl ${args.join(' ')}\n${r.stderr}`).toBe(0)
  return r
}

interface Shown {
  messageId: string
  timestamp: string
  topic: string
  principal: string
  correlationId: string
  contentType: string
  customHeaders: Record<string, string>
  payload?: string
  encoding?: string
}

async function query(user: string, args: string[]): Promise<{events: Shown[]; hasMore: boolean}> {
  return JSON.parse((await ok(user, ['mailbox', 'query', ...args, '-o', 'json'])).stdout) as {events: Shown[]; hasMore: boolean}
}

const stored = async (namespace: string, pattern = 'archive') => Number((await sql.query('SELECT count(*) AS n FROM prism_mailbox WHERE namespace = $1 AND mailbox = $2', [namespace, pattern])).rows[0].n)

beforeAll(async () => {
  dir = tempDir('prism-mailbox-e2e-')
  op = await startTestProvider()
  for (const user of ['alice', 'bob', 'carol', 'paul'] as const) tokens[user] = await idTokenFor(op.issuer, user)
  ;[nats, postgres] = await Promise.all([startNats(), startPostgres()])
  const db = new URL(await postgres.createDatabase())
  sql = new pg.Client({connectionString: db.toString()})
  await sql.connect()
  admin = await startAdminServer({args: ['--issuer', op.issuer, '--audience', CLIENT_ID]})
  proxy = await startProxyServer({adminEndpoint: admin.endpoint, args: ['--issuer', op.issuer, '--audience', CLIENT_ID], env: {PRISM_TOKEN: tokens.paul}})
  const namespace = (name: string, store: string, settings: string) => `kind: Namespace
name: ${name}
team: platform-team
auth: {enabled: true, provider: oidc, allowedGroups: [platform-team, admins]}
patterns:
  - name: outbox
    type: producer
    requires: [{slot: message-sink, backend: nats-mb}]
  - name: archive
    type: mailbox
    settings: {${settings}}
    requires: [{slot: message-source, backend: nats-mb}, {slot: mailbox-store, backend: ${store}}]
`
  const manifest = join(dir, 'mailboxes.yaml')
  writeFileSync(
    manifest,
    [
      `kind: Backend\nname: nats-mb\ntype: nats\nnats: {url: "${nats.url}", jetstream: true}\n`,
      `kind: Backend\nname: pg-mb\ntype: postgres\npostgres: {host: 127.0.0.1, port: ${db.port}, database: ${db.pathname.slice(1)}, sslmode: disable}\ncredentials: {static: {username: postgres}}\n`,
      `kind: Backend\nname: lite-mb\ntype: sqlite\nsqlite: {path: "${join(dir, 'mailbox.db')}"}\n`,
      namespace('mail-pg', 'pg-mb', 'topics: "orders,payments", retention: 7d'),
      namespace('mail-short', 'pg-mb', 'topics: "pings", retention: 20s'),
      namespace('mail-lite', 'lite-mb', 'topics: "orders"'),
    ].join('---\n'),
  )
  await ok('bob', ['apply', '-f', manifest])
  await waitReady(proxy)
}, 90_000)

afterAll(async () => {
  await sql?.end()
  await proxy?.stop()
  await admin?.stop()
  await Promise.all([nats?.stop(), postgres?.stop()])
  await op?.close()
})

describe('mailbox query over 10,000 stored messages (PostgreSQL)', () => {
  // Message i: batch ⌊i/500⌋ is published by bob when even, alice when odd; topic payments when i is odd;
  // correlation id corr-(i mod 50); x-i = i. Messages 0-4999 go in before the boundary time, 5000-9999 after.
  const publisher = (i: number) => (Math.floor(i / 500) % 2 === 0 ? 'bob' : 'alice')
  const topic = (i: number) => (i % 2 === 1 ? 'payments' : 'orders')
  let boundary: string
  let end: string

  async function publishRange(from: number, to: number): Promise<void> {
    for (let b = from; b < to; b += 500) {
      const client = createServiceClient(grpc, ProducerPattern, {
        endpoint: proxy.endpoint,
        credentials: grpc.credentials.createInsecure(),
        metadata: () => ({authorization: `Bearer ${tokens[publisher(b)]}`, 'x-prism-namespace': 'mail-pg'}),
      })
      try {
        const messages = Array.from({length: 500}, (_, k) => b + k).map((i) => ({topic: topic(i), payload: Buffer.from(`message ${i}`), metadata: {'prism-correlation-id': `corr-${i % 50}`, 'x-i': String(i)}}))
        const r = await client.publishBatch({messages}, {timeoutMs: 30_000})
        expect(r.messageIds).toHaveLength(500)
      } finally {
        client.close()
      }
    }
  }

  const xs = (events: Shown[]) => events.map((e) => Number(e.customHeaders['x-i'])).sort((a, b) => a - b)
  const range = (from: number, to: number, pick: (i: number) => boolean) => Array.from({length: to - from}, (_, k) => from + k).filter(pick)

  beforeAll(async () => {
    await publishRange(0, 5000)
    await eventually(async () => expect(await stored('mail-pg')).toBe(5000), 300, 100)
    await new Promise((r) => setTimeout(r, 20))
    boundary = new Date().toISOString()
    await new Promise((r) => setTimeout(r, 20))
    await publishRange(5000, 10_000)
    await eventually(async () => expect(await stored('mail-pg')).toBe(10_000), 300, 100)
    end = new Date(Date.now() + 60_000).toISOString()
  }, 120_000)

  it('by correlation id', async () => {
    const r = await query('bob', ['mail-pg', '--correlation-id', 'corr-7', '--limit', '1000'])
    expect([xs(r.events), r.hasMore]).toEqual([range(0, 10_000, (i) => i % 50 === 7), false])
    // Newest first.
    expect(r.events.map((e) => e.timestamp)).toEqual(r.events.map((e) => e.timestamp).sort().reverse())
  })

  it('by time range, topic and principal, in pages that neither overlap nor leave gaps', async () => {
    const args = ['mail-pg', '--start-time', boundary, '--end-time', end, '-t', 'payments', '-p', BOB, '--limit', '1000']
    const first = await query('alice', args)
    const second = await query('alice', [...args, '--offset', '1000'])
    expect([first.events.length, first.hasMore, second.hasMore]).toEqual([1000, true, false])
    expect(xs([...first.events, ...second.events])).toEqual(range(5000, 10_000, (i) => publisher(i) === 'bob' && topic(i) === 'payments'))
    expect(new Set([...first.events, ...second.events].map((e) => e.principal))).toEqual(new Set([BOB]))
    const before = await query('alice', ['mail-pg', '--end-time', boundary, '-t', 'orders', '-p', ALICE, '--correlation-id', 'corr-8', '--limit', '1000'])
    expect(xs(before.events)).toEqual(range(0, 5000, (i) => publisher(i) === 'alice' && i % 50 === 8))
  })

  it('several topics and principals match any of them; the table shows the newest ten', async () => {
    const r = await query('bob', ['mail-pg', '-t', 'orders', '-t', 'payments', '-p', BOB, '-p', ALICE, '--correlation-id', 'corr-3', '--limit', '1000'])
    expect(r.events).toHaveLength(200)
    const table = (await ok('bob', ['mailbox', 'query', 'mail-pg'])).stdout.trim().split('\n')
    expect(table[0]).toMatch(/^MESSAGE ID\s+TIME\s+TOPIC\s+PRINCIPAL\s+CORRELATION ID\s+CONTENT TYPE\s+BYTES$/)
    expect(table).toHaveLength(11)
  })
})

describe('publish metadata in the mailbox', () => {
  it('--count 5 gives x-sequence 1 to 5, with the flags as metadata; get shows one with its payload', async () => {
    const ids = (await ok('bob', ['publish', 'mail-pg', 'orders', '{"n":1}', '--count', '5', '--correlation-id', 'seq-test', '--content-type', 'application/json', '--schema-id', 'order-v1', '--encryption', 'none'])).stdout.trim().split('\n')
    expect(ids).toHaveLength(5)
    const events = await eventually(async () => {
      const r = await query('bob', ['mail-pg', '--correlation-id', 'seq-test', '--show-payload'])
      expect(r.events).toHaveLength(5)
      return r.events
    })
    expect(events.map((e) => e.customHeaders['x-sequence']).sort()).toEqual(['1', '2', '3', '4', '5'])
    expect(events.map((e) => e.messageId).sort()).toEqual([...ids].sort())
    expect(events[0]).toMatchObject({topic: 'orders', principal: BOB, contentType: 'application/json', payload: '{"n":1}', encoding: 'utf8'})
    const shown = (await ok('bob', ['mailbox', 'get', 'mail-pg', ids[2]!])).stdout
    expect(shown).toContain('Schema ID:      order-v1')
    expect(shown).toContain('Principal:      bob@example.test')
    expect(shown.trim().split('\n').at(-1)).toBe('{"n":1}')
  })

  it('-H prism-principal cannot spoof the principal: the proxy writes the token\'s', async () => {
    await ok('alice', ['publish', 'mail-pg', 'orders', 'not mallory', '-H', 'prism-principal=mallory', '-H', 'Prism-Namespace=elsewhere', '--correlation-id', 'spoof-test'])
    const [event] = await eventually(async () => {
      const r = await query('bob', ['mail-pg', '--correlation-id', 'spoof-test'])
      expect(r.events).toHaveLength(1)
      return r.events
    })
    expect(event!.principal).toBe(ALICE)
    expect(event!.customHeaders).toEqual({})
    expect((await query('bob', ['mail-pg', '-p', 'mallory'])).events).toEqual([])
    const reserved = await cli('alice', ['publish', 'mail-pg', 'orders', 'x', '-H', 'prism-timestamp=0'])
    expect([reserved.code, reserved.stderr]).toEqual([1, expect.stringContaining('metadata key prism-timestamp is reserved for Prism')])
  })

  it('a payload that is not text is base64, and says so', async () => {
    const file = join(dir, 'blob.bin')
    writeFileSync(file, Buffer.from([0xff, 0xfe, 0x00, 0x01]))
    const id = (await ok('bob', ['publish', 'mail-pg', 'payments', '-f', file, '--correlation-id', 'binary-test'])).stdout.trim()
    const shown = await eventually(async () => (await ok('bob', ['mailbox', 'get', 'mail-pg', id])).stdout)
    expect(shown).toContain('4 bytes, not UTF-8 text: shown as base64')
    expect(shown.trim().split('\n').at(-1)).toBe('//4AAQ==')
    const table = await ok('bob', ['mailbox', 'query', 'mail-pg', '--correlation-id', 'binary-test', '--show-payload'])
    expect(table.stdout).toContain('base64://4AAQ==')
    expect(table.stderr).toContain('payloads marked base64: are not UTF-8 text')
  })
})

describe('mailbox errors, auth and other stores', () => {
  it('NOT_FOUND, UNAUTHENTICATED and PERMISSION_DENIED as the other data commands report them', async () => {
    const missing = await cli('bob', ['mailbox', 'get', 'mail-pg', 'no-such-id', '--json'])
    expect([missing.code, JSON.parse(missing.stdout).error.code]).toEqual([1, 'NOT_FOUND'])
    const anonymous = await cli(undefined, ['mailbox', 'query', 'mail-pg', '--json'])
    expect([anonymous.code, JSON.parse(anonymous.stdout).error.code]).toEqual([1, 'UNAUTHENTICATED'])
    const viewer = await cli('carol', ['mailbox', 'query', 'mail-pg', '--json'])
    expect([viewer.code, JSON.parse(viewer.stdout).error.code]).toEqual([1, 'PERMISSION_DENIED'])
    const usage = await cli('bob', ['mailbox', 'query', 'mail-pg', '--start-time', 'yesterday'])
    expect([usage.code, usage.stderr]).toEqual([2, expect.stringContaining('--start-time expects an RFC 3339 time')])
  })

  it('prunes what is older than settings.retention (20s): gone from queries, and deleted from the table', async () => {
    // 20 s: publishing, storing and the first query must all fit in it on a loaded machine.
    await ok('bob', ['publish', 'mail-short', 'pings', 'ping', '--count', '3'])
    await eventually(async () => expect((await query('bob', ['mail-short'])).events).toHaveLength(3))
    expect(await stored('mail-short')).toBe(3)
    // Pruned every quarter of the retention: within about 25 s of the publish.
    await eventually(async () => expect(await stored('mail-short')).toBe(0), 400, 100)
    expect((await query('bob', ['mail-short'])).events).toEqual([])
  }, 90_000)

  it('a page of payloads stops at its byte budget (8 MiB), and says where the next one starts', async () => {
    const file = join(dir, 'big.bin')
    writeFileSync(file, Buffer.alloc(1_000_000, 'x'))
    await ok('alice', ['publish', 'mail-lite', 'orders', '-f', file, '--count', '10', '--correlation-id', 'big-1'])
    await eventually(async () => expect((await query('alice', ['mail-lite', '--correlation-id', 'big-1'])).events).toHaveLength(10))
    const page = (offset: number) => ok('alice', ['mailbox', 'query', 'mail-lite', '--correlation-id', 'big-1', '--show-payload', '--limit', '10', '--offset', `${offset}`, '-o', 'json'])
    const r = JSON.parse((await page(0)).stdout) as {events: Shown[]; hasMore: boolean}
    // 8 × 1,000,000 bytes fit in 8 MiB, a ninth would not.
    expect([r.events.length, r.hasMore]).toEqual([8, true])
    expect(r.events.every((e) => e.payload === 'x'.repeat(1_000_000))).toBe(true)
    const table = await ok('alice', ['mailbox', 'query', 'mail-lite', '--correlation-id', 'big-1', '--show-payload', '--limit', '10'])
    expect(table.stderr).toContain('more match: the next page is --offset 8')
    const rest = await page(8)
    expect(JSON.parse(rest.stdout)).toMatchObject({events: [{payload: 'x'.repeat(1_000_000)}, {payload: 'x'.repeat(1_000_000)}], hasMore: false})
    expect(rest.stderr).not.toContain('next page')
  }, 60_000)

  it('stores in SQLite too', async () => {
    const id = (await ok('alice', ['publish', 'mail-lite', 'orders', 'lite', '--correlation-id', 'lite-1'])).stdout.trim()
    const event = await eventually(async () => JSON.parse((await ok('alice', ['mailbox', 'get', 'mail-lite', id, '-o', 'json'])).stdout) as Shown)
    expect(event).toMatchObject({messageId: id, topic: 'orders', principal: ALICE, correlationId: 'lite-1', payload: 'lite'})
  })
})
