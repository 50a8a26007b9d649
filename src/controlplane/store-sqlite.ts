/**
 * The embedded store: better-sqlite3 on one file, WAL journal with synchronous=FULL so an acknowledged write
 * survives a power cut, every write in one IMMEDIATE transaction (safe even if two processes open the file).
 * better-sqlite3 is synchronous, which suits a single-writer engine: a transaction never interleaves with another
 * call on this connection. Group commit: writes that arrive while one is being fsynced are queued and committed
 * together in one transaction (each in its own savepoint, applied in arrival order, so each sees the previous
 * ones exactly as if they ran one by one); every caller is answered only after that transaction is durable. Under
 * concurrency this turns N fsyncs into one.
 */
import type BetterSqlite3 from 'better-sqlite3'

import {PrismError} from '../errors.js'
import {CREATE_MIGRATIONS_TABLE, pendingMigrations} from './migrations.js'
import {groupServing, rowValues, TABLE, toAuditRow, toStoredRow} from './store.js'
import type {AuditQuery, AuditRecord, AuditRow, CommitResult, Guards, Kind, Lease, ListQuery, Store, StoredRow, Write} from './store.js'

type Database = BetterSqlite3.Database
type Statement = BetterSqlite3.Statement

interface RawRow {
  name: string
  version: number
  data: Buffer
}

export async function openSqliteStore(path: string): Promise<Store> {
  let Driver: typeof BetterSqlite3
  try {
    Driver = (await import('better-sqlite3')).default
  } catch (err) {
    throw new PrismError('The SQLite driver (better-sqlite3) cannot be loaded on this machine', {
      code: 'FAILED_PRECONDITION',
      hint: 'Reinstall prismctl so its native module is built, or use a PostgreSQL store: --store postgres://user:password@host:5432/db',
      cause: err,
    })
  }
  let db: Database | undefined
  try {
    db = new Driver(path)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.pragma('busy_timeout = 5000')
    db.pragma('foreign_keys = OFF')
    migrate(db)
  } catch (err) {
    db?.close()
    // e.g. "file is not a database", a read-only file or directory, a migration that does not apply.
    throw new PrismError(`cannot open the SQLite store ${path}: ${(err as Error).message}`, {
      code: 'FAILED_PRECONDITION',
      hint: 'Point --store at a prismctl control plane database (or a new file), or restore this one from a backup.',
      cause: err,
    })
  }
  return new SqliteStore(db, path)
}

function migrate(db: Database): void {
  db.exec(CREATE_MIGRATIONS_TABLE)
  const run = db.transaction(() => {
    for (const m of pendingMigrations(db.prepare('SELECT version FROM schema_migrations').all() as {version: number}[])) {
      db.exec(m.sqlite)
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString())
    }
  })
  run.immediate()
}

const UPSERT: Record<Kind, string> = {
  namespace: 'INSERT INTO namespaces (name, team, version, labels, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET team = excluded.team, version = excluded.version, labels = excluded.labels, data = excluded.data',
  backend: 'INSERT INTO backends (name, type, version, labels, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET type = excluded.type, version = excluded.version, labels = excluded.labels, data = excluded.data',
}

interface Pending {
  work: () => unknown
  resolve: (value: unknown) => void
  reject: (err: unknown) => void
}

type Outcome = {value: unknown} | {error: unknown}

class SqliteStore implements Store {
  readonly engine = 'sqlite' as const
  /** One per distinct SQL text, kept for the life of the store: every text below is one of a fixed set. */
  private readonly statements = new Map<string, Statement>()
  private readonly runBatch: (batch: Pending[]) => Outcome[]
  private queue: Pending[] = []
  private flushScheduled = false

  constructor(
    private readonly db: Database,
    readonly location: string,
  ) {
    this.runBatch = db.transaction((batch: Pending[]) => batch.map((item) => this.inSavepoint(item.work))).immediate
  }

  get preparedStatements(): number {
    return this.statements.size
  }

  /** Queues work for the next group commit; resolves once it is durable. */
  private enqueue<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({work, resolve: resolve as (value: unknown) => void, reject})
      if (!this.flushScheduled) {
        this.flushScheduled = true
        setImmediate(() => this.flush())
      }
    })
  }

  private flush(): void {
    this.flushScheduled = false
    const batch = this.queue
    if (batch.length === 0) return
    this.queue = []
    let outcomes: Outcome[]
    try {
      outcomes = this.runBatch(batch)
    } catch (err) {
      const mapped =
        (err as {code?: string}).code === 'SQLITE_BUSY'
          ? new PrismError(`The SQLite store ${this.location} is locked by another process`, {code: 'UNAVAILABLE', hint: 'Retry; run one control plane per SQLite file (use PostgreSQL for several replicas).', cause: err})
          : err
      for (const item of batch) item.reject(mapped)
      return
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!
      if ('error' in outcome) item.reject(outcome.error)
      else item.resolve(outcome.value)
    })
  }

  /** One queued write: an unexpected error undoes only that write, not the batch. */
  private inSavepoint(work: () => unknown): Outcome {
    this.sql('SAVEPOINT write').run()
    try {
      const value = work()
      this.sql('RELEASE write').run()
      return {value}
    } catch (error) {
      this.sql('ROLLBACK TO write').run()
      this.sql('RELEASE write').run()
      return {error}
    }
  }

  private sql(text: string): Statement {
    let statement = this.statements.get(text)
    if (!statement) {
      statement = this.db.prepare(text)
      this.statements.set(text, statement)
    }
    return statement
  }

  async get(kind: Kind, name: string): Promise<StoredRow | undefined> {
    const raw = this.sql(`SELECT name, version, data FROM ${TABLE[kind]} WHERE name = ?`).get(name) as RawRow | undefined
    return raw && toStoredRow(raw)
  }

  async getNamespace(name: string): Promise<{row: StoredRow; serving: string[]} | undefined> {
    const row = await this.get('namespace', name)
    return row && {row, serving: (await this.servingProxies([name])).get(name) ?? []}
  }

  async list(kind: Kind, query: ListQuery): Promise<StoredRow[]> {
    const where: string[] = []
    const params: unknown[] = []
    if (query.after !== undefined) where.push('name > ?'), params.push(query.after)
    if (kind === 'namespace' && query.team) where.push('team = ?'), params.push(query.team)
    if (kind === 'backend' && query.backendType) where.push('type = ?'), params.push(query.backendType)
    // All the label conditions are one JSON parameter, so the SQL text (and the statement cache) does not grow with
    // their number. It is parsed once (the CTE), not per row; a row matches when no condition is unmet, i.e. none
    // where "the row has the key (with one of the values)" equals its `negate`.
    let filters = ''
    if (query.labels?.length) {
      filters =
        "WITH wanted (key, vals, negate) AS MATERIALIZED (SELECT value ->> '$.key', value -> '$.values', value ->> '$.negate' FROM json_each(?)) "
      where.push(
        'NOT EXISTS (SELECT 1 FROM wanted WHERE negate = EXISTS (SELECT 1 FROM json_each(labels) AS have WHERE have.key = wanted.key AND (wanted.vals IS NULL OR have.value IN (SELECT value FROM json_each(wanted.vals)))))',
      )
      params.unshift(JSON.stringify(query.labels))
    }
    params.push(query.limit)
    const text = `${filters}SELECT name, version, data FROM ${TABLE[kind]}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY name LIMIT ?`
    return (this.sql(text).all(...params) as RawRow[]).map(toStoredRow)
  }

  async namespacesBinding(backend: string): Promise<string[]> {
    return this.bindingNamespaces(backend)
  }

  private bindingNamespaces(backend: string): string[] {
    return (this.sql('SELECT namespace FROM namespace_bindings WHERE backend = ? ORDER BY namespace').all(backend) as {namespace: string}[]).map((r) => r.namespace)
  }

  commit(write: Write, guards: Guards, audit: AuditRecord): Promise<CommitResult> {
    return this.enqueue(() => this.commitInTx(write, guards, audit))
  }

  private commitInTx(write: Write, guards: Guards, audit: AuditRecord): CommitResult {
    const table = TABLE[write.kind]
    const current = this.sql(`SELECT version FROM ${table} WHERE name = ?`).get(write.name) as {version: number} | undefined
    const actualVersion = current?.version ?? 0
    if (actualVersion !== write.expectedVersion) return {ok: false, conflict: {actualVersion}}
    const binds = write.row?.binds ?? []
    if (binds.length) {
      const exists = this.sql('SELECT 1 FROM backends WHERE name = ?')
      const missing = binds.filter((name) => !exists.get(name))
      if (missing.length) return {ok: false, missingBackends: missing}
    }
    if (guards.unbound) {
      const boundBy = this.bindingNamespaces(write.name)
      if (boundBy.length) return {ok: false, boundBy}
    }
    const row = write.row
    if (row === null) {
      this.sql(`DELETE FROM ${table} WHERE name = ?`).run(write.name)
    } else {
      this.sql(UPSERT[write.kind]).run(...rowValues(write.kind, row))
    }
    if (write.kind === 'namespace') {
      this.sql('DELETE FROM namespace_bindings WHERE namespace = ?').run(write.name)
      const insert = this.sql('INSERT OR IGNORE INTO namespace_bindings (backend, namespace) VALUES (?, ?)')
      for (const backend of binds) insert.run(backend, write.name)
    }
    return {ok: true, auditId: this.insertAudit(audit)}
  }

  private insertAudit(audit: AuditRecord): number {
    const result = this.sql('INSERT INTO audit_events (time_ms, principal, action, resource_kind, resource_name, outcome, message, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(audit.time.getTime(), audit.principal, audit.action, audit.resourceKind, audit.resourceName, audit.outcome, audit.message, audit.count ?? 1)
    return Number(result.lastInsertRowid)
  }

  appendAudit(audit: AuditRecord): Promise<number> {
    return this.enqueue(() => this.insertAudit(audit))
  }

  async listAudit(query: AuditQuery): Promise<AuditRow[]> {
    const where: string[] = []
    const params: unknown[] = []
    if (query.before !== undefined) where.push('id < ?'), params.push(query.before)
    if (query.resourceName) where.push('resource_name = ?'), params.push(query.resourceName)
    if (query.principal) where.push('principal = ?'), params.push(query.principal)
    if (query.since) where.push('time_ms >= ?'), params.push(query.since.getTime())
    params.push(query.limit)
    const text = `SELECT * FROM audit_events${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`
    return (this.sql(text).all(...params) as Record<string, unknown>[]).map(toAuditRow)
  }

  setAuditCount(id: number, count: number): Promise<void> {
    return this.enqueue(() => void this.sql('UPDATE audit_events SET count = max(count, ?) WHERE id = ?').run(count, id))
  }

  pruneAudit(before: Date): Promise<number> {
    return this.enqueue(() => this.sql('DELETE FROM audit_events WHERE time_ms < ?').run(before.getTime()).changes)
  }

  renewLease(lease: Lease): Promise<Date> {
    return this.enqueue(() => {
      const now = Date.now()
      // Expired leases go first (foreign keys are off: the namespace rows explicitly).
      this.sql('DELETE FROM proxy_lease_namespaces WHERE proxy_id IN (SELECT proxy_id FROM proxy_leases WHERE expires_ms <= ?)').run(now)
      this.sql('DELETE FROM proxy_leases WHERE expires_ms <= ?').run(now)
      const expires = now + lease.ttlMs
      this.sql('INSERT INTO proxy_leases (proxy_id, expires_ms, endpoint, version) VALUES (?, ?, ?, ?) ON CONFLICT (proxy_id) DO UPDATE SET expires_ms = excluded.expires_ms, endpoint = excluded.endpoint, version = excluded.version')
        .run(lease.proxyId, expires, lease.endpoint, lease.version)
      this.sql('DELETE FROM proxy_lease_namespaces WHERE proxy_id = ?').run(lease.proxyId)
      const insert = this.sql('INSERT OR IGNORE INTO proxy_lease_namespaces (namespace, proxy_id) VALUES (?, ?)')
      for (const namespace of lease.namespaces) insert.run(namespace, lease.proxyId)
      return new Date(expires)
    })
  }

  releaseLease(proxyId: string): Promise<boolean> {
    return this.enqueue(() => {
      this.sql('DELETE FROM proxy_lease_namespaces WHERE proxy_id = ?').run(proxyId)
      return this.sql('DELETE FROM proxy_leases WHERE proxy_id = ?').run(proxyId).changes > 0
    })
  }

  async servingProxies(namespaces: string[]): Promise<Map<string, string[]>> {
    const rows = this.sql(
      'SELECT n.namespace, n.proxy_id FROM proxy_lease_namespaces n JOIN proxy_leases l ON l.proxy_id = n.proxy_id WHERE l.expires_ms > ? AND n.namespace IN (SELECT value FROM json_each(?)) ORDER BY n.namespace, n.proxy_id',
    ).all(Date.now(), JSON.stringify(namespaces)) as {namespace: string; proxy_id: string}[]
    return groupServing(rows)
  }

  async close(): Promise<void> {
    // Writes still queued are committed before the file is closed.
    if (this.queue.length) this.flush()
    this.db.close()
  }
}
