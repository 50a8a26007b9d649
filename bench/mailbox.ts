/**
 * Mailboxes on PostgreSQL through a real `prismctl proxy serve` process: ingest (PublishBatch through the proxy onto
 * NATS JetStream, consumed by the proxy's mailbox loop and stored in PostgreSQL) until every message is in the table,
 * against the same rows INSERTed directly in the ingest's batch size with the same client library; then Query p50
 * with 100,000 stored messages, against the same SELECT run directly with that client.
 */
import * as grpc from '@grpc/grpc-js'
import {create} from '@bufbuild/protobuf'
import pg from 'pg'

import {createServiceClient} from '../src/api/grpc-service.js'
import {mailboxQueryRequest} from '../src/data/mailbox.js'
import {ControlPlane} from '../src/gen/prism/admin/v1/control_plane_pb.js'
import {BackendType, NamespaceSchema} from '../src/gen/prism/admin/v1/resources_pb.js'
import {MailboxPattern} from '../src/gen/prism/patterns/v1/mailbox_pb.js'
import {ProducerPattern} from '../src/gen/prism/patterns/v1/messaging_pb.js'
import {ProxyInfo} from '../src/gen/prism/proxy/v1/proxy_pb.js'
import {columnsSql, filterSql} from '../src/proxy/mailbox/sql.js'
import type {MailboxQuery} from '../src/proxy/mailbox/store.js'
import {startAdminServer} from '../test/helpers/admin-server.js'
import {startNats} from '../test/helpers/nats.js'
import {startPostgres} from '../test/helpers/postgres.js'
import {startProxyServer, waitReady} from '../test/helpers/proxy-server.js'
import {latencies} from './controlplane.js'
import {fmtMs, median, percentile, ratio, type Row} from './lib.js'

const insecure = () => grpc.credentials.createInsecure()
const NS = 'bench-mailbox'
const BOX = {namespace: NS, pattern: 'archive'}
const TOPICS = Array.from({length: 10}, (_, i) => `topic-${i}`)
const PRINCIPALS = Array.from({length: 20}, (_, i) => `user-${i}@example.test`)
/** The ingest loop's batch (src/proxy/mailbox/ingest.ts), for the direct INSERT baseline. */
const INGEST_BATCH = 256

export async function benchMailbox(opts: {ingest: number; stored: number; latencyCount: number}): Promise<Row[]> {
  const postgres = await startPostgres()
  const nats = await startNats()
  const admin = await startAdminServer()
  const proxy = await startProxyServer({adminEndpoint: admin.endpoint})
  const db = new URL(await postgres.createDatabase())
  const sql = new pg.Client({connectionString: db.toString()})
  const control = createServiceClient(grpc, ControlPlane, {endpoint: admin.endpoint, credentials: insecure()})
  const headers = () => ({'x-prism-namespace': NS})
  const producer = createServiceClient(grpc, ProducerPattern, {endpoint: proxy.endpoint, credentials: insecure(), metadata: headers})
  const mailbox = createServiceClient(grpc, MailboxPattern, {endpoint: proxy.endpoint, credentials: insecure(), metadata: headers})
  const info = createServiceClient(grpc, ProxyInfo, {endpoint: proxy.endpoint, credentials: insecure()})
  try {
    await sql.connect()
    await control.applyBackend({backend: {name: 'nats-bench', type: BackendType.NATS, config: {case: 'nats', value: {url: nats.url, jetstream: true}}}})
    await control.applyBackend({
      backend: {name: 'pg-bench', type: BackendType.POSTGRES, config: {case: 'postgres', value: {host: '127.0.0.1', port: Number(db.port), database: db.pathname.slice(1), sslmode: 'disable'}}, credentials: {source: {case: 'static', value: {username: 'postgres', password: ''}}}},
    })
    const slot = (name: string, backend: string) => ({slot: name, target: {case: 'backend' as const, value: backend}})
    const outbox = {name: 'outbox', type: 'producer', requires: [slot('message-sink', 'nats-bench')]}
    const archive = {name: 'archive', type: 'mailbox', settings: {topics: TOPICS.join(','), retention: '30d'}, requires: [slot('message-source', 'nats-bench'), slot('mailbox-store', 'pg-bench')]}
    const apply = (patterns: object[]) => control.applyNamespace({namespace: create(NamespaceSchema, {name: NS, team: 'bench-team', patterns})})
    await apply([outbox])
    await waitReady(proxy)
    const count = async () => Number((await sql.query('SELECT count(*) AS n FROM prism_mailbox WHERE namespace = $1', [NS])).rows[0].n)
    const body = Buffer.alloc(200, 'x')
    /** PublishBatch calls of 500 from 4 concurrent callers; resolves when all are accepted. */
    async function publishAll(n: number, offset: number): Promise<void> {
      let published = 0
      await Promise.all(
        Array.from({length: 4}, async () => {
          while (published < n) {
            const from = published
            published += 500
            const messages = Array.from({length: Math.min(500, n - from)}, (_, k) => ({topic: TOPICS[(offset + from + k) % TOPICS.length]!, payload: body, metadata: {'prism-correlation-id': `corr-${(from + k) % 1000}`}}))
            await producer.publishBatch({messages}, {timeoutMs: 60_000})
          }
        }),
      )
    }
    const until = async (n: number) => {
      while ((await count().catch(() => 0)) < n) await new Promise((r) => setTimeout(r, 20))
    }

    // 1. A backlog: the messages wait in JetStream before the mailbox exists; its new group starts from the earliest,
    // so the time from applying the pattern to the last row stored is consume + store alone.
    let t = performance.now()
    await publishAll(opts.ingest, 0)
    const publishSeconds = (performance.now() - t) / 1000
    t = performance.now()
    await apply([outbox, archive])
    await until(opts.ingest)
    const drainSeconds = (performance.now() - t) / 1000
    // 2. Live: publishing and storing at once, until the table holds every message.
    t = performance.now()
    await publishAll(opts.ingest, opts.ingest)
    await until(2 * opts.ingest)
    const liveSeconds = (performance.now() - t) / 1000

    // Baseline: the same number of rows, INSERTed in the ingest's batches with the ingest's statement, into a second mailbox.
    const insertStart = performance.now()
    for (let from = 0; from < opts.ingest; from += INGEST_BATCH) await insertRows(sql, {namespace: NS, pattern: 'direct'}, from, Math.min(INGEST_BATCH, opts.ingest - from), body)
    const insertSeconds = (performance.now() - insertStart) / 1000
    await sql.query('DELETE FROM prism_mailbox WHERE mailbox = $1', ['direct'])

    // Fill the mailbox up to `stored` messages directly (spread over six days, 10 topics, 20 principals, 1000
    // correlation ids), then ANALYZE as autovacuum would.
    const have = await count()
    for (let from = have; from < opts.stored; from += 5000) await insertRows(sql, BOX, from, Math.min(5000, opts.stored - from), body)
    await sql.query('ANALYZE prism_mailbox')
    const total = await count()

    const now = Date.now()
    const queries: Record<string, Partial<MailboxQuery>> = {
      'newest 10': {},
      // Message i has topic i mod 10 and principal i mod 20: user-13 publishes on topic-3.
      'topic + principal, 10': {topics: [TOPICS[3]!], principals: [PRINCIPALS[13]!]},
      'correlation id, 100': {correlationId: 'corr-42', limit: 100},
      'one hour, 100': {start: new Date(now - 3 * 86_400_000), end: new Date(now - 2 * 86_400_000 - 23 * 3_600_000), limit: 100},
    }
    const insertRate = `direct INSERT ${(opts.ingest / insertSeconds).toFixed(0)} rows/s (pg, batches of ${INGEST_BATCH}, the ingest's statement)`
    const rate = (seconds: number) => opts.ingest / seconds
    const rows: Row[] = [
      {
        name: `mailbox ingest of a backlog (${opts.ingest} messages of 200 B waiting in NATS JetStream → proxy → PostgreSQL, pattern applied until all stored)`,
        value: `${rate(drainSeconds).toFixed(0)} messages/s`,
        baseline: insertRate,
        ratio: ratio(rate(drainSeconds), opts.ingest / insertSeconds),
      },
      {
        name: `mailbox ingest live (${opts.ingest} more, PublishBatch ×500 from 4 callers through the proxy while it stores, until all stored)`,
        value: `${rate(liveSeconds).toFixed(0)} messages/s`,
        baseline: `the same PublishBatch calls alone, before the mailbox existed: ${rate(publishSeconds).toFixed(0)} messages/s`,
        ratio: ratio(rate(liveSeconds), rate(publishSeconds)),
      },
    ]
    for (const [name, over] of Object.entries(queries)) {
      const q: MailboxQuery = {topics: [], principals: [], limit: 10, offset: 0, ...over}
      const values: unknown[] = []
      const text = `SELECT ${columnsSql(false, 'octet_length')} FROM prism_mailbox ${filterSql(BOX, q, (v) => `$${values.push(v)}`, (d) => d)}`
      const request = mailboxQueryRequest({...q, includeBody: false})
      const l = await latencies({proxy: () => mailbox.query(request), direct: () => sql.query(text, values), noop: () => info.noop({})}, opts.latencyCount)
      const p = (s: number[]) => `${fmtMs(median(s))} / ${fmtMs(percentile(s, 99))}`
      rows.push({
        name: `mailbox Query p50 / p99, ${name} (${total} stored, ${opts.latencyCount} calls interleaved)`,
        value: p(l.proxy),
        baseline: `direct SELECT ${p(l.direct)}; proxy no-op RPC ${fmtMs(median(l.noop))}`,
        ratio: ratio(median(l.proxy), median(l.direct)),
      })
    }
    return rows
  } finally {
    producer.close()
    mailbox.close()
    info.close()
    control.close()
    await sql.end().catch(() => undefined)
    await proxy.stop()
    await admin.stop()
    await nats.stop()
    await postgres.stop()
  }
}

/** Rows from..from+n, in the shape the ingest writes (the same INSERT … SELECT FROM unnest statement). */
async function insertRows(sql: pg.Client, box: {namespace: string; pattern: string}, from: number, n: number, body: Buffer): Promise<void> {
  const idx = Array.from({length: n}, (_, k) => from + k)
  const now = Date.now()
  await sql.query(
    `INSERT INTO prism_mailbox (namespace, mailbox, message_id, ts, topic, content_type, schema_id, encryption, correlation_id, principal, custom_headers, body)
     SELECT $1, $2, * FROM unnest($3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::jsonb[], $12::bytea[])
     ON CONFLICT DO NOTHING`,
    [
      box.namespace,
      box.pattern,
      idx.map((i) => `bulk-${i}`),
      idx.map((i) => new Date(now - ((i * 5_183) % (6 * 86_400_000)))),
      idx.map((i) => TOPICS[i % TOPICS.length]),
      idx.map(() => 'application/octet-stream'),
      idx.map(() => ''),
      idx.map(() => ''),
      idx.map((i) => `corr-${i % 1000}`),
      idx.map((i) => PRINCIPALS[i % PRINCIPALS.length]),
      idx.map((i) => JSON.stringify({'x-i': String(i)})),
      idx.map(() => body),
    ],
  )
}
