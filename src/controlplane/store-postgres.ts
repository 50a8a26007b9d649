/**
 * The shared store: PostgreSQL through a `pg` pool, so several control-plane replicas can serve one database.
 * Writes run in READ COMMITTED transactions that lock the rows their preconditions depend on (the resource itself
 * FOR UPDATE, referenced backends FOR SHARE), which makes compare-and-set and "backend still unbound" hold across
 * replicas. Migrations run under an advisory lock so replicas starting together apply each one once.
 */
import {randomUUID} from 'node:crypto'

import type * as Pg from 'pg'

import {PrismError} from '../errors.js'
import {redactKnown, showableUrl, urlPasswords} from '../ui/debug.js'
import {CREATE_MIGRATIONS_TABLE, pendingMigrations} from './migrations.js'
import {groupServing, rowValues, TABLE, toAuditRow, toStoredRow} from './store.js'
import type {AuditQuery, AuditRecord, AuditRow, ChangeFeed, CommitResult, Guards, Kind, Lease, ListQuery, Store, StoredRow, Write} from './store.js'

// Any constant works; it only has to be the same for every replica.
const MIGRATION_LOCK = 0x70726973
const CHANGES_CHANNEL = 'prism_changes'
/** The database's clock in milliseconds: lease expiry means the same on every replica. */
const NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint'
/** The namespaces an unexpired lease names (n), for servingProxies and getNamespace to narrow. */
const SERVING = `FROM proxy_lease_namespaces n JOIN proxy_leases l ON l.proxy_id = n.proxy_id WHERE l.expires_ms > ${NOW_MS}`
/** Reconnecting the change feed: the first retry after this, doubling up to FEED_RETRY_MAX_MS (with jitter). */
const FEED_RETRY_MIN_MS = 100
const FEED_RETRY_MAX_MS = 5000

export async function openPostgresStore(url: string): Promise<Store> {
  const pg = (await import('pg')).default
  const pool = new pg.Pool({connectionString: url, max: 10})
  // Keepalive notices a silently dead peer; the timeout keeps a reconnect attempt from hanging.
  const newClient = () => new pg.Client({connectionString: url, keepAlive: true, connectionTimeoutMillis: 5000})
  // An idle client's connection error must not crash the server; the next query reports it.
  pool.on('error', () => {})
  const secrets = urlPasswords(url)
  const location = showableUrl(url)
  try {
    await migrate(pool)
  } catch (err) {
    await pool.end()
    throw new PrismError(`Cannot open the PostgreSQL store at ${location}: ${redactKnown((err as Error).message, secrets)}`, {
      code: 'UNAVAILABLE',
      hint: 'Check that the database is running and the URL, user and password are right.',
      cause: err,
    })
  }
  return new PostgresStore(pool, location, newClient, secrets)
}

async function migrate(pool: Pg.Pool): Promise<void> {
  const client = await pool.connect()
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
    try {
      await client.query(CREATE_MIGRATIONS_TABLE)
      for (const m of pendingMigrations((await client.query<{version: number}>('SELECT version FROM schema_migrations')).rows)) {
        await client.query('BEGIN')
        try {
          await client.query(m.postgres)
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, new Date().toISOString()])
          await client.query('COMMIT')
        } catch (err) {
          await client.query('ROLLBACK')
          throw err
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK])
    }
  } finally {
    client.release()
  }
}

const INSERT: Record<Kind, string> = {
  namespace: 'INSERT INTO namespaces (name, team, version, labels, data) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING',
  backend: 'INSERT INTO backends (name, type, version, labels, data) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING',
}
const UPDATE: Record<Kind, string> = {
  namespace: 'UPDATE namespaces SET team = $2, version = $3, labels = $4, data = $5 WHERE name = $1',
  backend: 'UPDATE backends SET type = $2, version = $3, labels = $4, data = $5 WHERE name = $1',
}

interface RawRow {
  name: string
  version: string
  data: Buffer
}

/** Connection-level failures are the client's to retry (UNAVAILABLE); anything else stays an internal error. */
function mapError(err: unknown, location: string, secrets: readonly string[]): unknown {
  const code = (err as {code?: unknown}).code
  if (typeof code === 'string' && (/^(08|57P|53)/.test(code) || /^E(CONNREFUSED|CONNRESET|TIMEDOUT|NOTFOUND|PIPE)$/.test(code)) || /Connection terminated|timeout exceeded when trying to connect/i.test((err as Error).message ?? '')) {
    return new PrismError(`The PostgreSQL store at ${location} is unavailable: ${redactKnown((err as Error).message, secrets)}`, {code: 'UNAVAILABLE', hint: 'Retry shortly; if it persists, check the database server.', cause: err})
  }
  return err
}

class PostgresStore implements Store {
  readonly engine = 'postgres' as const
  /** Tags this replica's notifications so it ignores its own (it already told its watchers). */
  private readonly origin = randomUUID()
  private listener: Pg.Client | undefined
  private closed = false

  constructor(
    private readonly pool: Pg.Pool,
    readonly location: string,
    private readonly newClient: () => Pg.Client,
    /** The password of the store URL, hidden in every error this store raises or reason it gives. */
    private readonly secrets: readonly string[],
  ) {
    // Every public call maps connection failures to UNAVAILABLE, in one place rather than in each method.
    for (const method of ['get', 'getNamespace', 'list', 'namespacesBinding', 'commit', 'appendAudit', 'listAudit', 'setAuditCount', 'pruneAudit', 'renewLease', 'releaseLease', 'servingProxies'] as const) {
      const impl = this[method].bind(this) as (...args: unknown[]) => Promise<unknown>
      ;(this as Record<string, unknown>)[method] = (...args: unknown[]) => impl(...args).catch((err: unknown) => Promise.reject(mapError(err, location, secrets)))
    }
  }

  async get(kind: Kind, name: string): Promise<StoredRow | undefined> {
    const result = await this.pool.query<RawRow>({name: `get-${kind}`, text: `SELECT name, version, data FROM ${TABLE[kind]} WHERE name = $1`, values: [name]})
    return result.rows[0] && toStoredRow(result.rows[0])
  }

  async getNamespace(name: string): Promise<{row: StoredRow; serving: string[]} | undefined> {
    // One round trip instead of get() and servingProxies(): over loopback the round trip is most of the call.
    const result = await this.pool.query<RawRow & {serving: string[]}>({
      name: 'get-namespace-serving',
      text: `SELECT ns.name, ns.version, ns.data, ARRAY(SELECT n.proxy_id ${SERVING} AND n.namespace = ns.name ORDER BY n.proxy_id COLLATE "C") AS serving
             FROM namespaces ns WHERE ns.name = $1`,
      values: [name],
    })
    const raw = result.rows[0]
    return raw && {row: toStoredRow(raw), serving: raw.serving}
  }

  async list(kind: Kind, query: ListQuery): Promise<StoredRow[]> {
    const where: string[] = []
    const values: unknown[] = []
    const param = (value: unknown) => (values.push(value), `$${values.length}`)
    if (query.after !== undefined) where.push(`name COLLATE "C" > ${param(query.after)}`)
    if (kind === 'namespace' && query.team) where.push(`team = ${param(query.team)}`)
    if (kind === 'backend' && query.backendType) where.push(`type = ${param(query.backendType)}`)
    // One jsonb parameter for all the label conditions (see LabelCondition): the text does not grow with their number.
    if (query.labels?.length)
      where.push(
        `NOT EXISTS (SELECT 1 FROM jsonb_to_recordset(${param(JSON.stringify(query.labels))}::jsonb) AS wanted (key text, "values" jsonb, negate boolean) WHERE wanted.negate = (labels ? wanted.key AND (wanted."values" IS NULL OR wanted."values" ? (labels ->> wanted.key))))`,
      )
    const text = `SELECT name, version, data FROM ${TABLE[kind]}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY name COLLATE "C" LIMIT ${param(query.limit)}`
    return (await this.pool.query<RawRow>(text, values)).rows.map(toStoredRow)
  }

  async namespacesBinding(backend: string): Promise<string[]> {
    return bindingNamespaces(this.pool, backend)
  }

  async commit(write: Write, guards: Guards, audit: AuditRecord): Promise<CommitResult> {
    const client = await this.pool.connect()
    try {
      await client.query('BEGIN')
      const result = await this.commitInTx(client, write, guards, audit)
      await client.query(result.ok ? 'COMMIT' : 'ROLLBACK')
      return result
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      client.release()
    }
  }

  private async commitInTx(client: Pg.PoolClient, write: Write, guards: Guards, audit: AuditRecord): Promise<CommitResult> {
    const table = TABLE[write.kind]
    const locked = await client.query<{version: string}>({name: `lock-${write.kind}`, text: `SELECT version FROM ${table} WHERE name = $1 FOR UPDATE`, values: [write.name]})
    const actualVersion = locked.rows[0] ? Number(locked.rows[0].version) : 0
    if (actualVersion !== write.expectedVersion) return {ok: false, conflict: {actualVersion}}
    const binds = write.row?.binds ?? []
    if (binds.length) {
      const found = await client.query<{name: string}>('SELECT name FROM backends WHERE name = ANY($1) FOR SHARE', [binds])
      const present = new Set(found.rows.map((r) => r.name))
      const missing = binds.filter((name) => !present.has(name))
      if (missing.length) return {ok: false, missingBackends: missing}
    }
    if (guards.unbound) {
      const boundBy = await bindingNamespaces(client, write.name)
      if (boundBy.length) return {ok: false, boundBy}
    }
    const row = write.row
    if (row === null) {
      await client.query(`DELETE FROM ${table} WHERE name = $1`, [write.name])
    } else if (write.expectedVersion === 0) {
      // A concurrent create of the same name took no row lock; ON CONFLICT waits for it and then inserts nothing.
      const inserted = await client.query({name: `insert-${write.kind}`, text: INSERT[write.kind], values: rowValues(write.kind, row)})
      if (inserted.rowCount === 0) {
        const now = await client.query<{version: string}>(`SELECT version FROM ${table} WHERE name = $1`, [write.name])
        return {ok: false, conflict: {actualVersion: Number(now.rows[0]?.version ?? 0)}}
      }
    } else {
      await client.query({name: `update-${write.kind}`, text: UPDATE[write.kind], values: rowValues(write.kind, row)})
    }
    if (write.kind === 'namespace') {
      await client.query({name: 'unbind', text: 'DELETE FROM namespace_bindings WHERE namespace = $1', values: [write.name]})
      if (binds.length) await client.query('INSERT INTO namespace_bindings (backend, namespace) SELECT unnest($1::text[]), $2', [[...new Set(binds)], write.name])
    }
    // Delivered to the other replicas only if, and when, this transaction commits.
    await client.query({name: 'notify', text: 'SELECT pg_notify($1, $2)', values: [CHANGES_CHANNEL, JSON.stringify({o: this.origin, k: write.kind, n: write.name, d: row === null})]})
    return {ok: true, auditId: await insertAudit(client, audit)}
  }

  async followRemoteChanges(feed: ChangeFeed): Promise<void> {
    void this.keepListening(feed, (await this.listen(feed)).lost)
  }

  /** Connects and LISTENs; resolves once listening, with a promise of why the connection was lost, later. */
  private async listen(feed: ChangeFeed): Promise<{lost: Promise<string>}> {
    const client = this.newClient()
    let lose!: (reason: string) => void
    const lost = new Promise<string>((resolve) => (lose = resolve))
    client.on('error', (err) => lose(redactKnown(err.message, this.secrets)))
    client.on('end', () => lose('connection closed'))
    client.on('notification', (message) => {
      if (!message.payload) return
      const change = JSON.parse(message.payload) as {o: string; k: Kind; n: string; d: boolean}
      if (change.o !== this.origin) feed.change({kind: change.k, name: change.n, deleted: change.d})
    })
    try {
      await client.connect()
      await client.query(`LISTEN ${CHANGES_CHANNEL}`)
    } catch (err) {
      await client.end().catch(() => {})
      throw mapError(err, this.location, this.secrets)
    }
    this.listener = client
    return {
      lost: lost.then((reason) => {
        if (this.listener === client) this.listener = undefined
        void client.end().catch(() => {})
        return reason
      }),
    }
  }

  /** For as long as the store is open: when the feed drops, say so, reconnect with backoff, say when it is back. */
  private async keepListening(feed: ChangeFeed, lost: Promise<string>): Promise<void> {
    for (;;) {
      const reason = await lost
      if (this.closed) return
      feed.lost(reason)
      for (let attempt = 0; ; attempt++) {
        const delay = Math.min(FEED_RETRY_MAX_MS, FEED_RETRY_MIN_MS * 2 ** attempt) * (0.5 + Math.random() / 2)
        await new Promise((resolve) => setTimeout(resolve, delay).unref())
        if (this.closed) return
        try {
          lost = (await this.listen(feed)).lost
          break
        } catch {
          // still unreachable: try again
        }
      }
      if (this.closed) return void (await this.listener?.end().catch(() => {}))
      feed.restored()
    }
  }

  async renewLease(lease: Lease): Promise<Date> {
    const client = await this.pool.connect()
    try {
      await client.query('BEGIN')
      const result = await client.query<{expires_ms: string}>({
        name: 'renew-lease',
        text: `INSERT INTO proxy_leases (proxy_id, expires_ms, endpoint, version) VALUES ($1, ${NOW_MS} + $2, $3, $4)
               ON CONFLICT (proxy_id) DO UPDATE SET expires_ms = excluded.expires_ms, endpoint = excluded.endpoint, version = excluded.version RETURNING expires_ms`,
        values: [lease.proxyId, Math.round(lease.ttlMs), lease.endpoint, lease.version],
      })
      await client.query({name: 'lease-unlist', text: 'DELETE FROM proxy_lease_namespaces WHERE proxy_id = $1', values: [lease.proxyId]})
      if (lease.namespaces.length) await client.query('INSERT INTO proxy_lease_namespaces (namespace, proxy_id) SELECT unnest($1::text[]), $2', [lease.namespaces, lease.proxyId])
      await client.query('COMMIT')
      // Best effort and outside the renewal: replicas pruning the same rows at once must not fail a renewal.
      await client.query({name: 'prune-leases', text: `DELETE FROM proxy_leases WHERE expires_ms <= ${NOW_MS}`}).catch(() => {})
      return new Date(Number(result.rows[0]!.expires_ms))
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      client.release()
    }
  }

  async releaseLease(proxyId: string): Promise<boolean> {
    const result = await this.pool.query({name: 'release-lease', text: 'DELETE FROM proxy_leases WHERE proxy_id = $1', values: [proxyId]})
    return (result.rowCount ?? 0) > 0
  }

  async servingProxies(namespaces: string[]): Promise<Map<string, string[]>> {
    const result = await this.pool.query<{namespace: string; proxy_id: string}>({
      name: 'serving-proxies',
      text: `SELECT n.namespace, n.proxy_id ${SERVING} AND n.namespace = ANY($1) ORDER BY n.namespace COLLATE "C", n.proxy_id COLLATE "C"`,
      values: [namespaces],
    })
    return groupServing(result.rows)
  }

  async appendAudit(audit: AuditRecord): Promise<number> {
    return insertAudit(this.pool, audit)
  }

  async listAudit(query: AuditQuery): Promise<AuditRow[]> {
    const where: string[] = []
    const values: unknown[] = []
    const param = (value: unknown) => (values.push(value), `$${values.length}`)
    if (query.before !== undefined) where.push(`id < ${param(query.before)}`)
    if (query.resourceName) where.push(`resource_name = ${param(query.resourceName)}`)
    if (query.principal) where.push(`principal = ${param(query.principal)}`)
    if (query.since) where.push(`time_ms >= ${param(query.since.getTime())}`)
    const text = `SELECT * FROM audit_events${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${param(query.limit)}`
    return (await this.pool.query(text, values)).rows.map(toAuditRow)
  }

  async setAuditCount(id: number, count: number): Promise<void> {
    await this.pool.query({name: 'set-audit-count', text: 'UPDATE audit_events SET count = GREATEST(count, $2) WHERE id = $1', values: [id, count]})
  }

  async pruneAudit(before: Date): Promise<number> {
    const result = await this.pool.query({name: 'prune-audit', text: 'DELETE FROM audit_events WHERE time_ms < $1', values: [before.getTime()]})
    return result.rowCount ?? 0
  }

  async close(): Promise<void> {
    this.closed = true
    await this.listener?.end().catch(() => {})
    await this.pool.end()
  }
}

async function bindingNamespaces(queryable: Pg.Pool | Pg.PoolClient, backend: string): Promise<string[]> {
  const result = await queryable.query<{namespace: string}>('SELECT namespace FROM namespace_bindings WHERE backend = $1 ORDER BY namespace COLLATE "C"', [backend])
  return result.rows.map((r) => r.namespace)
}

async function insertAudit(queryable: Pg.Pool | Pg.PoolClient, audit: AuditRecord): Promise<number> {
  const result = await queryable.query<{id: string}>({
    name: 'insert-audit',
    text: 'INSERT INTO audit_events (time_ms, principal, action, resource_kind, resource_name, outcome, message, count) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id',
    values: [audit.time.getTime(), audit.principal, audit.action, audit.resourceKind, audit.resourceName, audit.outcome, audit.message, audit.count ?? 1],
  })
  return Number(result.rows[0]!.id)
}
