/**
 * PostgreSQL: keyvalue in a table, a queue in tables and mailboxes (../mailbox/postgres-store.ts), through one
 * pg.Pool per backend; the tables are created idempotently on first use, so every proxy that binds the backend
 * shares them (prism_* names; two registrations of one database share data, as two clients of one database would).
 *
 * Keyvalue: prism_kv(key text COLLATE "C" primary key, value bytea, expires_at). Expired rows are invisible at once
 * and deleted lazily (at most one pruning statement a minute per proxy, on writes). Scan is a LIKE prefix query with
 * the prefix escaped, which the C collation lets PostgreSQL answer from the primary key index; batches are one
 * statement, so all or nothing (that is what `transactions` says).
 *
 * Queue: published messages are rows of prism_queue_messages (kept for ever, or for the namespace's
 * settings.retention when one is set: its publishes delete the topic's older rows and their claims, every quarter
 * of it at most; a topic nobody publishes to is not pruned), ids increasing per topic in commit order (a publish
 * holds a per-topic advisory lock until it commits), and a NOTIFY wakes waiting subscribers (wake-up only; they
 * also poll every second). Every group sees every message of a topic: its delivery
 * state is per (topic, group), a watermark below which everything is acknowledged plus a row per message claimed
 * above it. Members claim with FOR UPDATE SKIP LOCKED and a visibility timeout of ackWaitSeconds; a claim that lapses
 * without an ack is claimed again. An ack marks the (topic, group, id) row, from any proxy. Without a group a
 * subscriber reads the table from its start position (earliest: everything the table holds) and acks nothing.
 */
import {setTimeout as sleep} from 'node:timers/promises'

import type * as Pg from 'pg'

import {PrismError} from '../../errors.js'
import {postgresMailboxStore} from '../mailbox/postgres-store.js'
import {pruneEvery} from '../retention.js'
import {backendConfig, invalidArgument, scrub, staticCredentials, unavailable} from './backend-config.js'
import {Channel} from './channel.js'
import {schemaOnce} from './pg-schema.js'
import type {BackendConnection, Connect, DeliveredMessage, KeyValueDriver, MessagingDriver, SubscribeOptions, Subscription} from './types.js'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS prism_kv (key text COLLATE "C" PRIMARY KEY, value bytea NOT NULL, expires_at timestamptz);
CREATE INDEX IF NOT EXISTS prism_kv_expires ON prism_kv (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS prism_queue_messages (id bigserial PRIMARY KEY, topic text NOT NULL, payload bytea NOT NULL,
  metadata jsonb NOT NULL, published_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS prism_queue_messages_topic ON prism_queue_messages (topic, id);
CREATE INDEX IF NOT EXISTS prism_queue_messages_age ON prism_queue_messages (topic, published_at);
CREATE TABLE IF NOT EXISTS prism_queue_groups (topic text NOT NULL, grp text NOT NULL, acked_through bigint NOT NULL,
  PRIMARY KEY (topic, grp));
CREATE TABLE IF NOT EXISTS prism_queue_deliveries (topic text NOT NULL, grp text NOT NULL, message_id bigint NOT NULL,
  visible_at timestamptz NOT NULL, acked boolean NOT NULL DEFAULT false, PRIMARY KEY (topic, grp, message_id));`
// Any constant: it only has to be the same for every proxy creating the tables at the same time.
const SCHEMA_LOCK = 0x7072736d
const CHANNEL = 'prism_queue'
const LIVE = '(expires_at IS NULL OR expires_at > now())'
const EXPIRES = `CASE WHEN $3::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => $3::float8) END`
const PRUNE_EVERY_MS = 60_000
const SCAN_PAGE = 500
const CLAIM_BATCH = 16
const POLL_MS = 1_000
const MAX_TOPIC_BYTES = 1_000
const PRUNE_BATCH = 10_000
/** At most a million rows per pruning; a backlog beyond that goes at the next ones. */
const MAX_PRUNE_BATCHES = 100
const MAX_PRUNED_TOPICS = 10_000

/** The prefix as a LIKE pattern that matches it literally (backslash is the escape character). */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

function sslOption(mode: string): Pg.PoolConfig['ssl'] {
  switch (mode) {
    case '':
    case 'disable':
    case 'allow':
    case 'prefer':
      // pg cannot try TLS and fall back; these modes connect without it.
      return false
    case 'require':
      return {rejectUnauthorized: false}
    case 'verify-ca':
      return {rejectUnauthorized: true, checkServerIdentity: () => undefined}
    case 'verify-full':
      return {rejectUnauthorized: true}
    default:
      throw new PrismError(`Unknown postgres.sslmode "${mode}"`, {code: 'FAILED_PRECONDITION', hint: 'Use disable, require, verify-ca or verify-full.'})
  }
}

/** Connection-level failures (server down, shutting down, too many clients, auth) become UNAVAILABLE. */
function isUnavailable(err: unknown): boolean {
  const code = (err as {code?: unknown}).code
  return (typeof code === 'string' && (/^(08|57P|53|28)/.test(code) || /^E(CONNREFUSED|CONNRESET|TIMEDOUT|NOTFOUND|PIPE|HOSTUNREACH)$/.test(code))) || /Connection terminated|timeout exceeded when trying to connect|connection timeout/i.test((err as Error).message ?? '')
}

function checkTopic(topic: string): void {
  if (topic === '') throw invalidArgument('The topic name is empty')
  if (Buffer.byteLength(topic) > MAX_TOPIC_BYTES) throw invalidArgument(`The topic name is longer than ${MAX_TOPIC_BYTES} bytes`)
}


interface MessageRow {
  id: string
  topic: string
  payload: Buffer
  metadata: Record<string, string>
  published_at: Date
}

export const connect: Connect = async (backend, {log}) => {
  const config = backendConfig(backend, 'postgres')
  const creds = staticCredentials(backend)
  const host = config.host || '127.0.0.1'
  const port = config.port || 5432
  const database = config.database || 'postgres'
  const address = `${host}:${port}/${database}`
  const pg = (await import('pg')).default
  const connection: Pg.ClientConfig = {host, port, database, user: creds?.username || 'postgres', password: creds?.password || undefined, ssl: sslOption(config.sslmode), connectionTimeoutMillis: 5_000}
  const pool = new pg.Pool({...connection, max: 10})
  // An idle client losing its connection must not crash the proxy; the next query reports the outage.
  pool.on('error', (err) => log(`postgres ${backend.name}: ${scrub(err.message, backend)}`))

  // SQLSTATE classes 22 (data exception) and 23 (integrity constraint): the same statement would fail every time,
  // which callers (the mailbox ingest) must tell from an outage.
  const fail = (err: unknown): unknown =>
    err instanceof PrismError ? err
    : isUnavailable(err) ? unavailable(backend, address, err)
    : /^2[23]/.test((err as {code?: string}).code ?? '') ? invalidArgument(`backend ${backend.name} (PostgreSQL) refused the data: ${scrub((err as Error).message, backend)}`)
    : err
  const ready = schemaOnce(pool, SCHEMA_LOCK, SCHEMA)
  async function query<R extends Pg.QueryResultRow>(text: string, values: unknown[]): Promise<R[]> {
    try {
      await ready()
      return (await pool.query<R>(text, values)).rows
    } catch (err) {
      throw fail(err)
    }
  }

  let lastPrune = 0
  function pruneLazily(): void {
    if (Date.now() - lastPrune < PRUNE_EVERY_MS) return
    lastPrune = Date.now()
    pool.query(`DELETE FROM prism_kv WHERE key IN (SELECT key FROM prism_kv WHERE expires_at <= now() LIMIT 1000)`).catch((err: Error) => log(`postgres ${backend.name}: pruning expired keys failed: ${scrub(err.message, backend)}`))
  }

  const keyValue: KeyValueDriver = {
    support: {expiration: true, scan: 'native', batch: 'native', transactions: true},
    async get(key) {
      const rows = await query<{value: Buffer}>(`SELECT value FROM prism_kv WHERE key = $1 AND ${LIVE}`, [key])
      return rows[0] ? new Uint8Array(rows[0].value) : undefined
    },
    async set(key, value, ttlSeconds) {
      await query(`INSERT INTO prism_kv (key, value, expires_at) VALUES ($1, $2, ${EXPIRES}) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at`, [key, Buffer.from(value), ttlSeconds ?? null])
      pruneLazily()
    },
    async delete(key) {
      const rows = await query<{live: boolean}>(`DELETE FROM prism_kv WHERE key = $1 RETURNING ${LIVE} AS live`, [key])
      return rows[0]?.live === true
    },
    async exists(key) {
      return (await query(`SELECT 1 FROM prism_kv WHERE key = $1 AND ${LIVE}`, [key])).length > 0
    },
    async expire(key, ttlSeconds) {
      return (await query(`UPDATE prism_kv SET expires_at = now() + make_interval(secs => $2::float8) WHERE key = $1 AND ${LIVE} RETURNING 1`, [key, ttlSeconds])).length > 0
    },
    async ttl(key) {
      const rows = await query<{left: string | null}>(`SELECT ceil(extract(epoch FROM expires_at - now()))::bigint AS left FROM prism_kv WHERE key = $1 AND ${LIVE}`, [key])
      if (!rows[0]) return undefined
      return rows[0].left === null ? -1 : Math.max(1, Number(rows[0].left))
    },
    async *scan(prefix, limit, keysOnly) {
      const pattern = likePrefix(prefix)
      let after: string | null = null
      let left = limit
      while (left > 0) {
        const page: {key: string; value?: Buffer}[] = await query<{key: string; value?: Buffer}>(
          `SELECT key${keysOnly ? '' : ', value'} FROM prism_kv WHERE key LIKE $1 ESCAPE '\\' AND ($2::text IS NULL OR key > $2) AND ${LIVE} ORDER BY key LIMIT $3`,
          [pattern, after, Math.min(left, SCAN_PAGE)],
        )
        for (const row of page) yield keysOnly ? {key: row.key} : {key: row.key, value: new Uint8Array(row.value!)}
        if (page.length < Math.min(left, SCAN_PAGE)) return
        left -= page.length
        after = page.at(-1)!.key
      }
    },
    async setMany(entries) {
      // The last entry of a key wins, as with a sequence of sets (one INSERT may not touch a row twice).
      const byKey = new Map(entries.map((e) => [e.key, e]))
      const list = [...byKey.values()]
      await query(
        `INSERT INTO prism_kv (key, value, expires_at)
         SELECT k, v, CASE WHEN t IS NULL THEN NULL ELSE now() + make_interval(secs => t) END FROM unnest($1::text[], $2::bytea[], $3::float8[]) AS e(k, v, t)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at`,
        [list.map((e) => e.key), list.map((e) => Buffer.from(e.value)), list.map((e) => e.ttlSeconds ?? null)],
      )
      pruneLazily()
    },
    async getMany(keys) {
      const rows = await query<{key: string; value: Buffer}>(`SELECT key, value FROM prism_kv WHERE key = ANY($1::text[]) AND ${LIVE}`, [keys])
      const found = new Map(rows.map((r) => [r.key, new Uint8Array(r.value)]))
      return keys.map((k) => found.get(k))
    },
  }

  // --- queue -------------------------------------------------------------------------------------------------------
  let closed = false
  const wakers = new Map<string, Set<() => void>>()
  const loops = new Set<{channel: Channel<DeliveredMessage>; done: Promise<void>; topic: string; group?: string; claimed: Set<string>}>()
  let listener: Promise<Pg.Client> | undefined

  /** One LISTEN connection per driver, reopened on demand after it fails (polling covers the gap). */
  function listen(): void {
    if (listener || closed) return
    const client = new pg.Client(connection)
    const drop = () => {
      if (listener) void listener.then((c) => c.end()).catch(() => undefined)
      listener = undefined
    }
    client.on('error', drop)
    client.on('end', () => (listener = undefined))
    client.on('notification', (n) => {
      for (const wake of wakers.get(n.payload ?? '') ?? []) wake()
    })
    listener = client
      .connect()
      .then(() => client.query(`LISTEN ${CHANNEL}`))
      .then(() => client)
    listener.catch(() => (listener = undefined))
  }

  /** Resolves on a NOTIFY for the topic, on close, or after POLL_MS. */
  function wait(topic: string): Promise<void> {
    listen()
    return new Promise<void>((resolve) => {
      const set = wakers.get(topic) ?? new Set()
      wakers.set(topic, set)
      const wake = () => {
        clearTimeout(timer)
        set.delete(wake)
        resolve()
      }
      const timer = setTimeout(wake, POLL_MS)
      set.add(wake)
    })
  }

  const toDelivered = (row: MessageRow, ackToken?: string): DeliveredMessage => ({
    topic: row.topic,
    payload: new Uint8Array(row.payload),
    metadata: row.metadata,
    messageId: row.id,
    timestamp: row.published_at,
    ...(ackToken ? {ackToken} : {}),
  })

  async function claim(topic: string, group: string, ackWaitSeconds: number): Promise<MessageRow[]> {
    // The ON CONFLICT condition is what makes a claim exclusive; SKIP LOCKED keeps concurrent members off each other's rows.
    return query<MessageRow>(
      `WITH g AS (SELECT acked_through FROM prism_queue_groups WHERE topic = $1 AND grp = $2),
       candidates AS (
         SELECT m.id FROM prism_queue_messages m
         LEFT JOIN prism_queue_deliveries d ON d.topic = m.topic AND d.grp = $2 AND d.message_id = m.id
         WHERE m.topic = $1 AND m.id > (SELECT acked_through FROM g) AND (d.message_id IS NULL OR (NOT d.acked AND d.visible_at <= now()))
         ORDER BY m.id LIMIT $3 FOR UPDATE OF m SKIP LOCKED),
       claimed AS (
         INSERT INTO prism_queue_deliveries (topic, grp, message_id, visible_at)
         SELECT $1, $2, id, now() + make_interval(secs => $4::float8) FROM candidates
         ON CONFLICT (topic, grp, message_id) DO UPDATE SET visible_at = EXCLUDED.visible_at
           WHERE NOT prism_queue_deliveries.acked AND prism_queue_deliveries.visible_at <= now()
         RETURNING message_id)
       SELECT m.id, m.topic, m.payload, m.metadata, m.published_at FROM prism_queue_messages m JOIN claimed c ON c.message_id = m.id ORDER BY m.id`,
      [topic, group, CLAIM_BATCH, ackWaitSeconds],
    )
  }

  /** The newest id of the topic; every smaller one is committed already (publishes commit in id order per topic). */
  async function lastId(topic: string): Promise<string> {
    return (await query<{id: string}>('SELECT coalesce(max(id), 0) AS id FROM prism_queue_messages WHERE topic = $1', [topic]))[0]!.id
  }

  async function subscribe(topic: string, options: SubscribeOptions): Promise<Subscription> {
    checkTopic(topic)
    const group = options.group
    if (group) {
      // A group that exists keeps its position; `start` only matters when it is created.
      await query(`INSERT INTO prism_queue_groups (topic, grp, acked_through) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [topic, group, options.start === 'earliest' ? '0' : await lastId(topic)])
    }
    let cursor = group || options.start === 'earliest' ? '0' : await lastId(topic)
    const channel = new Channel<DeliveredMessage>(CLAIM_BATCH)
    const ackWait = Math.max(1, options.ackWaitSeconds)
    // What this member claimed and nobody acknowledged yet through this proxy: released when it leaves.
    const claimed = new Set<string>()
    const done = (async () => {
      let failing = false
      while (!channel.isClosed && !closed) {
        try {
          const rows = group
            ? await claim(topic, group, ackWait)
            : await query<MessageRow>('SELECT id, topic, payload, metadata, published_at FROM prism_queue_messages WHERE topic = $1 AND id > $2 ORDER BY id LIMIT $3', [topic, cursor, CLAIM_BATCH])
          failing = false
          for (const row of rows) {
            if (group) claimed.add(row.id)
            if (!(await channel.push(toDelivered(row, group ? row.id : undefined)))) return
            cursor = row.id
          }
          if (rows.length === 0) await wait(topic)
        } catch (err) {
          if (!failing) log(`postgres ${backend.name}: consuming ${topic} failed, retrying: ${scrub((err as Error).message, backend)}`)
          failing = true
          await sleep(POLL_MS)
        }
      }
    })()
    const loop = {channel, done, topic, group, claimed}
    loops.add(loop)
    return {
      [Symbol.asyncIterator]: () => channel[Symbol.asyncIterator](),
      async close() {
        channel.close()
        for (const wake of wakers.get(topic) ?? []) wake()
        await done
        loops.delete(loop)
        // A member that leaves hands back what it claimed and did not acknowledge, so the others get it now rather
        // than after the visibility timeout (a member that crashes cannot: its claims lapse).
        if (group && claimed.size > 0) {
          await query(`UPDATE prism_queue_deliveries SET visible_at = now() WHERE topic = $1 AND grp = $2 AND message_id = ANY($3::bigint[]) AND NOT acked`, [topic, group, [...claimed]]).catch(
            (err: Error) => log(`postgres ${backend.name}: releasing claims on ${topic} failed: ${scrub(err.message, backend)}`),
          )
        }
      },
    }
  }

  /** When each topic's messages were last pruned (by this proxy); forgotten wholesale past MAX_PRUNED_TOPICS. */
  const topicPrunes = new Map<string, number>()
  const prunes = new Set<Promise<void>>()
  function pruneTopicLazily(topic: string, retentionMs: number): void {
    const last = topicPrunes.get(topic) ?? 0
    if (Date.now() - last < pruneEvery(retentionMs)) return
    if (topicPrunes.size >= MAX_PRUNED_TOPICS) topicPrunes.clear()
    topicPrunes.set(topic, Date.now())
    const prune = (async () => {
      // In bounded batches, so one statement never holds a huge backlog's locks; as many as it takes.
      for (let batch = 0; batch < MAX_PRUNE_BATCHES; batch++) {
        const gone = await pool.query(
          `DELETE FROM prism_queue_messages WHERE id IN (SELECT id FROM prism_queue_messages WHERE topic = $1 AND published_at < now() - make_interval(secs => $2::float8) LIMIT ${PRUNE_BATCH})`,
          [topic, retentionMs / 1000],
        )
        if ((gone.rowCount ?? 0) < PRUNE_BATCH) break
      }
      await pool.query(`DELETE FROM prism_queue_deliveries d WHERE d.topic = $1 AND NOT EXISTS (SELECT 1 FROM prism_queue_messages m WHERE m.id = d.message_id)`, [topic])
    })().catch((err: Error) => log(`postgres ${backend.name}: pruning ${topic} failed: ${scrub(err.message, backend)}`))
    // close() waits for it rather than ending the pool under it.
    prunes.add(prune)
    void prune.finally(() => prunes.delete(prune))
  }

  const messaging: MessagingDriver = {
    support: {persistent: true, groups: true, ack: true},
    async publish(message, options) {
      checkTopic(message.topic)
      const rows = await query<{id: string}>(
        `WITH lock AS (SELECT pg_advisory_xact_lock(hashtext('prism_queue:' || $1))),
         ins AS (INSERT INTO prism_queue_messages (topic, payload, metadata) SELECT $1, $2, $3 FROM lock RETURNING id)
         SELECT id, pg_notify('${CHANNEL}', $1) FROM ins`,
        [message.topic, Buffer.from(message.payload), JSON.stringify(message.metadata)],
      )
      if (options?.retentionMs !== undefined) pruneTopicLazily(message.topic, options.retentionMs)
      return rows[0]!.id
    },
    subscribe,
    async ack(topic, group, ackTokens) {
      if (!group) throw invalidArgument('Acknowledging needs the group the messages were consumed in')
      for (const token of ackTokens) if (!/^[1-9][0-9]{0,18}$/.test(token)) throw invalidArgument(`"${token.slice(0, 80)}" is not an ack token of this PostgreSQL queue`)
      try {
        await ready()
        const client = await pool.connect()
        try {
          await client.query('BEGIN')
          // Acks of one group take turns, so each one's watermark query sees the acks committed before it.
          await client.query('SELECT 1 FROM prism_queue_groups WHERE topic = $1 AND grp = $2 FOR UPDATE', [topic, group])
          const acked = await client.query(`UPDATE prism_queue_deliveries SET acked = true WHERE topic = $1 AND grp = $2 AND message_id = ANY($3::bigint[]) RETURNING message_id`, [topic, group, ackTokens])
          // Move the watermark up to the first message not yet acknowledged, and forget the rows below it.
          await client.query(
            `UPDATE prism_queue_groups g SET acked_through = greatest(g.acked_through, coalesce(
               (SELECT m.id - 1 FROM prism_queue_messages m LEFT JOIN prism_queue_deliveries d ON d.topic = m.topic AND d.grp = g.grp AND d.message_id = m.id
                 WHERE m.topic = g.topic AND m.id > g.acked_through AND d.acked IS NOT TRUE ORDER BY m.id LIMIT 1),
               (SELECT coalesce(max(id), g.acked_through) FROM prism_queue_messages WHERE topic = g.topic)))
             WHERE topic = $1 AND grp = $2`,
            [topic, group],
          )
          await client.query(`DELETE FROM prism_queue_deliveries d USING prism_queue_groups g WHERE d.topic = $1 AND d.grp = $2 AND g.topic = d.topic AND g.grp = d.grp AND d.message_id <= g.acked_through`, [topic, group])
          await client.query('COMMIT')
          for (const loop of loops) if (loop.topic === topic && loop.group === group) for (const row of acked.rows) loop.claimed.delete(String(row.message_id))
          return acked.rowCount ?? 0
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined)
          throw err
        } finally {
          client.release()
        }
      } catch (err) {
        throw fail(err)
      }
    },
  }

  const api: BackendConnection = {
    keyValue,
    messaging,
    mailbox: postgresMailboxStore(pool, fail),
    async ping() {
      try {
        await pool.query('SELECT 1')
      } catch (err) {
        throw isUnavailable(err) ? unavailable(backend, address, err) : err
      }
    },
    async close() {
      closed = true
      for (const loop of loops) loop.channel.close()
      for (const set of wakers.values()) for (const wake of set) wake()
      await Promise.allSettled([...loops].map((l) => l.done).concat([...prunes]))
      const client = await listener?.catch(() => undefined)
      listener = undefined
      await client?.end().catch(() => undefined)
      await pool.end()
    },
  }
  return api
}
