/**
 * The control plane's persistence: one interface, two engines (SQLite embedded, PostgreSQL shared by replicas).
 * Resources are stored as protobuf binary plus the columns queries need (name, version, team, type, labels, the
 * backends a namespace binds). Every write is one transaction that checks its preconditions (compare-and-set on
 * the version, the backends a namespace binds exist, a deleted backend is unbound) and appends its audit event, so a crash
 * leaves either the whole change or none of it.
 */
import {closeSync, mkdirSync, openSync} from 'node:fs'
import {dirname, isAbsolute, join} from 'node:path'

import {configDir} from '../config/files.js'
import {PrismError} from '../errors.js'
import {showableUrl} from '../ui/debug.js'

export type Kind = 'namespace' | 'backend'

/** What reads return: the protobuf carries everything else. */
export interface StoredRow {
  name: string
  version: number
  /** The resource as protobuf binary, status included. */
  data: Uint8Array
}

/** What writes give: the resource plus the columns queries filter on. */
export interface Row extends StoredRow {
  /** Namespaces only. */
  team?: string
  labels: Record<string, string>
  /** Backends only: the BackendType number. */
  backendType?: number
  /** Namespaces only: names of the backends it binds; the write fails unless they all exist (checked and locked inside the transaction). */
  binds?: string[]
}

export interface ListQuery {
  /** Keyset pagination: names strictly after this one. */
  after?: string
  limit: number
  team?: string
  /** Every condition must hold. */
  labels?: LabelCondition[]
  backendType?: number
}

/**
 * One label condition, in the one form both engines evaluate: a row meets it when it has the key (with one of
 * `values`, when given), or, with `negate`, when it does not. kubectl's in/exists are plain, notin/!exists negated.
 */
export interface LabelCondition {
  key: string
  values?: string[]
  negate: boolean
}

export interface Write {
  kind: Kind
  name: string
  /** 0: the resource must not exist yet; otherwise its stored version must equal this. */
  expectedVersion: number
  /** The new row, or null to delete. */
  row: Row | null
}

export interface Guards {
  /** Deleting a backend: the write fails while namespaces bind it. */
  unbound?: boolean
}

export type CommitResult =
  | {ok: true; auditId: number}
  | {ok: false; conflict: {actualVersion: number}}
  | {ok: false; missingBackends: string[]}
  | {ok: false; boundBy: string[]}

export interface AuditRecord {
  time: Date
  principal: string
  action: string
  resourceKind: string
  resourceName: string
  /** OK, or a gRPC status code name. */
  outcome: string
  message: string
  /** How many attempts the entry stands for (refused writes are aggregated); 1 when absent. */
  count?: number
}

export interface AuditRow extends AuditRecord {
  id: number
  count: number
}

export interface AuditQuery {
  /** Newest first: ids strictly below this one. */
  before?: number
  limit: number
  resourceName?: string
  principal?: string
  /** Entries at or after this time. */
  since?: Date
}

/** A change another process committed to a shared store. */
export interface RemoteChange {
  kind: Kind
  name: string
  deleted: boolean
}

/** What a proxy's lease says. */
export interface Lease {
  proxyId: string
  /** Distinct names. */
  namespaces: string[]
  /** From now, by the store's clock (PostgreSQL's for every replica alike). */
  ttlMs: number
  endpoint: string
  version: string
}

/** Where changes committed by other processes arrive, and what happens to the feed itself. */
export interface ChangeFeed {
  change(change: RemoteChange): void
  /** The feed dropped: changes may be missed from now on, until restored(). */
  lost(reason: string): void
  /** Listening again (changes committed while the feed was down were not delivered). */
  restored(): void
}

export interface Store {
  readonly engine: 'sqlite' | 'postgres'
  /** A description for logs, without credentials. */
  readonly location: string
  get(kind: Kind, name: string): Promise<StoredRow | undefined>
  /** A namespace with the ids of the proxies whose unexpired lease names it, sorted: GetNamespace's one query. */
  getNamespace(name: string): Promise<{row: StoredRow; serving: string[]} | undefined>
  /** Ordered by name. */
  list(kind: Kind, query: ListQuery): Promise<StoredRow[]>
  /** Names of the namespaces that bind a backend, ordered. */
  namespacesBinding(backend: string): Promise<string[]>
  /** Applies the write and appends the audit event in one transaction, or neither when a precondition fails. */
  commit(write: Write, guards: Guards, audit: AuditRecord): Promise<CommitResult>
  /** Records a failed attempt (nothing else changes). */
  appendAudit(audit: AuditRecord): Promise<number>
  listAudit(query: AuditQuery): Promise<AuditRow[]>
  /** Raises how many attempts an audit entry stands for (an aggregated entry, as its count grows); never lowers it. */
  setAuditCount(id: number, count: number): Promise<void>
  /** Deletes the audit entries older than `before`; returns how many. */
  pruneAudit(before: Date): Promise<number>
  /** Stores or replaces a proxy's lease and prunes expired ones; returns when it expires. */
  renewLease(lease: Lease): Promise<Date>
  /** False when there was no lease. */
  releaseLease(proxyId: string): Promise<boolean>
  /** Each of these namespaces that an unexpired lease names, with the ids of the proxies serving it, sorted. One query. */
  servingProxies(namespaces: string[]): Promise<Map<string, string[]>>
  /**
   * Follows changes committed by OTHER processes sharing the store (PostgreSQL replicas, via LISTEN/NOTIFY), so each
   * replica's watchers see every write. Resolves once listening; a dropped feed reconnects with backoff for as long
   * as the store is open. Absent for SQLite: one process owns the file.
   */
  followRemoteChanges?(feed: ChangeFeed): Promise<void>
  /** SQLite: the prepared statements it keeps (one per distinct SQL text, a fixed set whatever the requests). */
  readonly preparedStatements?: number
  close(): Promise<void>
}

export function defaultStoreUrl(env: NodeJS.ProcessEnv = process.env): string {
  return `sqlite://${join(configDir(env), 'controlplane.db')}`
}

/** Opens (creating and migrating as needed) the store a `--store` URL names: sqlite:///abs/path.db or postgres://… */
export async function openStore(url: string): Promise<Store> {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const {openPostgresStore} = await import('./store-postgres.js')
    return openPostgresStore(url)
  }
  if (url.startsWith('sqlite://')) {
    const path = decodeURIComponent(url.slice('sqlite://'.length).replace(/\?.*$/, ''))
    if (path !== ':memory:' && !isAbsolute(path)) {
      throw new PrismError(`SQLite store path must be absolute: ${url}`, {code: 'INVALID_ARGUMENT', exitCode: 2, hint: 'Use sqlite:///absolute/path/controlplane.db (three slashes).'})
    }
    // Creates a missing directory private to the user, but never touches the mode of an existing one (e.g. /tmp).
    if (path !== ':memory:') {
      mkdirSync(dirname(path), {recursive: true, mode: 0o700})
      // The database holds static credentials: create it private (SQLite gives its -wal/-shm files the same mode).
      closeSync(openSync(path, 'a', 0o600))
    }
    const {openSqliteStore} = await import('./store-sqlite.js')
    return openSqliteStore(path)
  }
  throw new PrismError(`Unsupported store URL: ${showableUrl(url)}`, {
    code: 'INVALID_ARGUMENT',
    exitCode: 2,
    hint: 'Use sqlite:///absolute/path.db or postgres://user:password@host:5432/database.',
  })
}

/** The table each kind lives in (same schema on both engines). */
export const TABLE: Readonly<Record<Kind, string>> = {namespace: 'namespaces', backend: 'backends'}

/** A row's values in the column order both engines write: name, team (namespaces) or type (backends), version, labels, data. */
export function rowValues(kind: Kind, row: Row): unknown[] {
  return [row.name, kind === 'namespace' ? (row.team ?? '') : (row.backendType ?? 0), row.version, JSON.stringify(row.labels), row.data]
}

/** A resource row as either driver returns it (PostgreSQL gives BIGINT as a string). */
export function toStoredRow(r: {name: string; version: number | string; data: Uint8Array}): StoredRow {
  return {name: r.name, version: Number(r.version), data: r.data}
}

/** Namespace → sorted proxy ids, from (namespace, proxy_id) rows ordered by both. */
export function groupServing(rows: {namespace: string; proxy_id: string}[]): Map<string, string[]> {
  const serving = new Map<string, string[]>()
  for (const r of rows) {
    const ids = serving.get(r.namespace)
    if (ids) ids.push(r.proxy_id)
    else serving.set(r.namespace, [r.proxy_id])
  }
  return serving
}

export function toAuditRow(r: Record<string, unknown>): AuditRow {
  return {
    id: Number(r.id),
    time: new Date(Number(r.time_ms)),
    principal: String(r.principal),
    action: String(r.action),
    resourceKind: String(r.resource_kind),
    resourceName: String(r.resource_name),
    outcome: String(r.outcome),
    message: String(r.message),
    count: Number(r.count ?? 1),
  }
}
