/**
 * A PostgreSQL backend's mailbox: one table shared by every proxy that binds the backend, created idempotently on
 * first use. Indexes fit the queries (RFC-037), each led by the mailbox: its time order, and topic, principal and
 * correlation id each with time. A batch is one INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING, so storing
 * the same message twice (from two proxies, or again after a crash before the acknowledgement) keeps one row.
 */
import type * as Pg from 'pg'

import {schemaOnce} from '../drivers/pg-schema.js'
import {columnsSql, filterSql, storedEventOf, type SqlRow} from './sql.js'
import type {MailboxStore, QueryResult} from './store.js'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS prism_mailbox (namespace text NOT NULL, mailbox text NOT NULL, message_id text COLLATE "C" NOT NULL,
  ts timestamptz NOT NULL, topic text NOT NULL, content_type text NOT NULL, schema_id text NOT NULL, encryption text NOT NULL,
  correlation_id text NOT NULL, principal text NOT NULL, custom_headers jsonb NOT NULL, body bytea NOT NULL,
  stored_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (namespace, mailbox, message_id));
CREATE INDEX IF NOT EXISTS prism_mailbox_time ON prism_mailbox (namespace, mailbox, ts, message_id);
CREATE INDEX IF NOT EXISTS prism_mailbox_topic ON prism_mailbox (namespace, mailbox, topic, ts);
CREATE INDEX IF NOT EXISTS prism_mailbox_principal ON prism_mailbox (namespace, mailbox, principal, ts);
CREATE INDEX IF NOT EXISTS prism_mailbox_correlation ON prism_mailbox (namespace, mailbox, correlation_id) WHERE correlation_id <> '';`
// Any constant, the same in every proxy; not the keyvalue/queue schema's lock.
const SCHEMA_LOCK = 0x70726d62

type Row = SqlRow<Date, Record<string, string>>

/** `fail` turns a pg error into the driver's PrismError (UNAVAILABLE for outages, INVALID_ARGUMENT for refused data). */
export function postgresMailboxStore(pool: Pg.Pool, fail: (err: unknown) => unknown): MailboxStore {
  const ready = schemaOnce(pool, SCHEMA_LOCK, SCHEMA)
  async function run<R extends Pg.QueryResultRow>(text: string, values: unknown[]): Promise<Pg.QueryResult<R>> {
    try {
      await ready()
      return await pool.query<R>(text, values)
    } catch (err) {
      throw fail(err)
    }
  }

  return {
    async write(box, events) {
      if (events.length === 0) return 0
      const column = <T>(pick: (e: (typeof events)[number]) => T) => events.map(pick)
      const r = await run(
        `INSERT INTO prism_mailbox (namespace, mailbox, message_id, ts, topic, content_type, schema_id, encryption, correlation_id, principal, custom_headers, body)
         SELECT $1, $2, * FROM unnest($3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::jsonb[], $12::bytea[])
         ON CONFLICT DO NOTHING`,
        [
          box.namespace,
          box.pattern,
          column((e) => e.messageId),
          column((e) => e.timestamp),
          column((e) => e.topic),
          column((e) => e.contentType),
          column((e) => e.schemaId),
          column((e) => e.encryption),
          column((e) => e.correlationId),
          column((e) => e.principal),
          column((e) => JSON.stringify(e.customHeaders)),
          column((e) => Buffer.from(e.body)),
        ],
      )
      return r.rowCount ?? 0
    },
    async query(box, q): Promise<QueryResult> {
      const values: unknown[] = []
      const where = filterSql(box, q, (v) => `$${values.push(v)}`, (d) => d)
      const rows = (await run<Row>(`SELECT ${columnsSql(false, 'octet_length')} FROM prism_mailbox ${where}`, values)).rows
      return {events: rows.slice(0, q.limit).map(storedEventOf), hasMore: rows.length > q.limit}
    },
    async bodies(box, messageIds) {
      const rows = (await run<{message_id: string; body: Buffer}>('SELECT message_id, body FROM prism_mailbox WHERE namespace = $1 AND mailbox = $2 AND message_id = ANY($3::text[])', [box.namespace, box.pattern, messageIds])).rows
      return new Map(rows.map((r) => [r.message_id, new Uint8Array(r.body)]))
    },
    async get(box, messageId) {
      const rows = (await run<Row>(`SELECT ${columnsSql(true, 'octet_length')} FROM prism_mailbox WHERE namespace = $1 AND mailbox = $2 AND message_id = $3`, [box.namespace, box.pattern, messageId])).rows
      return rows[0] && storedEventOf(rows[0])
    },
    async prune(box, before) {
      return (await run('DELETE FROM prism_mailbox WHERE namespace = $1 AND mailbox = $2 AND ts < $3', [box.namespace, box.pattern, before])).rowCount ?? 0
    },
  }
}
