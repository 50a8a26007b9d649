/**
 * The control plane's behaviour, independent of gRPC: validation (layers 1–4), compare-and-set writes, secrets
 * redaction, the audit trail and change events for Watch. server.ts maps RPCs onto it after authentication and RBAC.
 *
 * Watch events: this replica's own commits are emitted right after they commit; with PostgreSQL, commits made by
 * other replicas arrive through the store's LISTEN/NOTIFY feed (a remote DELETE carries only the name).
 *
 * Audit policy: every committed write is audited in its own transaction; every failed write attempt (validation,
 * conflict, …) is audited with the gRPC code name as outcome, except writes refused for lack of a role, which are
 * aggregated per principal and minute (audit-limits.ts) so that any account the issuer knows cannot flood the log.
 * Dry runs and applies that change nothing (UNCHANGED) write nothing, so they are not audited.
 */
import {EventEmitter} from 'node:events'

import {clone, create, equals, fromBinary, toBinary} from '@bufbuild/protobuf'
import {timestampDate, timestampFromDate, type Timestamp} from '@bufbuild/protobuf/wkt'

import {isPrismError, PrismError} from '../errors.js'
import type {FieldViolation} from '../errors.js'
import {ApplyResult, AuditEventSchema, LabelOperator, WatchEventType} from '../gen/prism/admin/v1/control_plane_pb.js'
import type {
  ApplyBackendRequest,
  ApplyNamespaceRequest,
  AuditEvent,
  DeleteBackendRequest,
  DeleteNamespaceRequest,
  ListAuditEventsRequest,
  LabelRequirement,
  ListBackendsRequest,
  ListNamespacesRequest,
  RenewProxyLeaseRequest,
  UpdateBackendRequest,
} from '../gen/prism/admin/v1/control_plane_pb.js'
import {BackendSchema, BackendStatusSchema, BackendType, NamespacePhase, NamespaceSchema, NamespaceStatusSchema, ResourceMetaSchema} from '../gen/prism/admin/v1/resources_pb.js'
import type {Backend, Namespace, ResourceMeta} from '../gen/prism/admin/v1/resources_pb.js'
import {selectorViolations} from '../model/label-selector.js'
import {labelFilterViolations} from '../model/limits.js'
import {dropUnknownFields} from '../model/unknown-fields.js'
import {NAME_PATTERN, validateBackend, validateNamespace} from '../model/validate.js'
import {RefusalAudit} from './audit-limits.js'
import type {Principal} from './authn.js'
import {partitionOf} from './crc32.js'
import {leaseFrom, proxyIdViolations} from './leases.js'
import {resolveNamespace, type BackendCatalog} from './resolve.js'
import {Change} from './changes.js'
import {redactBackend, redactNamespace, restoreBackendSecrets, restoreNamespaceSecrets, sendsClearSecret} from './secrets.js'
import type {AuditRecord, Kind, LabelCondition, RemoteChange, Store} from './store.js'
import {count} from '../ui/count.js'

const DEFAULT_PAGE_SIZE = 100
const MAX_PAGE_SIZE = 1000
/** Rows a Watch snapshot reads at a time: a reader that is slow to take them holds one page (at most a few MiB). */
const SNAPSHOT_PAGE = 100
/** Writes without expected_version retry this often when another writer got in between. */
const MAX_ATTEMPTS = 5

type WriteMode = 'create' | 'update' | 'apply' | 'delete'

const KIND_LABEL: Record<Kind, 'Namespace' | 'Backend'> = {namespace: 'Namespace', backend: 'Backend'}

/** A list request's label filters (the equality map and the selector) as the store's conditions, once checked. */
function labelConditions(labels: Record<string, string>, selector: LabelRequirement[]): LabelCondition[] {
  const violations = [...labelFilterViolations(labels), ...selectorViolations(selector)]
  if (violations.length) throw invalid('the request', violations.map((v) => ({field: v.path, description: v.message})))
  const negated = (op: LabelOperator) => op === LabelOperator.NOT_IN || op === LabelOperator.DOES_NOT_EXIST
  return [
    ...Object.entries(labels).map(([key, value]) => ({key, values: [value], negate: false})),
    ...selector.map((r) => ({key: r.key, values: r.values.length ? r.values : undefined, negate: negated(r.operator)})),
  ]
}

function invalid(what: string, violations: FieldViolation[]): PrismError {
  return new PrismError(`${what} is invalid (${count(violations.length, 'problem')})`, {
    code: 'INVALID_ARGUMENT',
    violations,
    details: violations.map((v) => `${v.field}: ${v.description}`),
    hint: 'Fix the fields listed and submit again.',
  })
}

function conflict(kind: Kind, name: string, expected: number, actual: number): PrismError {
  const now = actual === 0 ? 'it no longer exists' : `the stored version is ${actual}`
  return new PrismError(`${KIND_LABEL[kind]} ${name} was changed by someone else: you expected version ${expected}, ${now}; nothing was written`, {
    code: 'ABORTED',
    hint: `Re-read it (prismctl ${kind} get ${name} -o yaml), redo your change on the current version, and submit again.`,
  })
}

function notFound(kind: Kind, name: string): PrismError {
  return new PrismError(`${KIND_LABEL[kind]} ${name} does not exist`, {code: 'NOT_FOUND', hint: `List what exists with: prismctl ${kind} list`})
}

function alreadyExists(kind: Kind, name: string): PrismError {
  return new PrismError(`${KIND_LABEL[kind]} ${name} already exists`, {
    code: 'ALREADY_EXISTS',
    hint: kind === 'namespace' ? 'Use prismctl namespace apply to update it.' : 'Use prismctl backend update (or apply) to change it.',
  })
}

/**
 * A compare-and-set write lost to another writer (the store holds `actual`, 0 when gone): the error that is final
 * for this mode, or undefined to re-read and try again (writes without expected_version, up to MAX_ATTEMPTS).
 */
function lostRace(kind: Kind, name: string, mode: WriteMode, expected: number, read: number, actual: number, attempt: number): PrismError | undefined {
  if (mode === 'create') return alreadyExists(kind, name)
  if ((mode === 'update' || mode === 'delete') && actual === 0) return notFound(kind, name)
  if (expected || attempt >= MAX_ATTEMPTS) return conflict(kind, name, expected || read, actual)
  return undefined
}

function pageSize(requested: number): number {
  if (requested < 0) throw invalid('the request', [{field: 'pageSize', description: 'must not be negative'}])
  return Math.min(requested || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
}

const encodeToken = (value: string) => Buffer.from(value, 'utf8').toString('base64url')

/** The page out of `limit + 1` rows, and the token for the next one when there was that extra row. */
function paginate<R>(rows: R[], limit: number, key: (row: R) => string): {page: R[]; nextPageToken: string} {
  const page = rows.slice(0, limit)
  return {page, nextPageToken: rows.length > limit ? encodeToken(key(page[page.length - 1]!)) : ''}
}

function decodeToken(token: string, valid: RegExp): string | undefined {
  if (!token) return undefined
  const value = Buffer.from(token, 'base64url').toString('utf8')
  if (!valid.test(value)) throw invalid('the request', [{field: 'pageToken', description: 'is not a token this server issued; pass the nextPageToken of the previous page'}])
  return value
}

const ID_TOKEN = /^[1-9][0-9]{0,17}$/

function nextMeta(previous: ResourceMeta | undefined, principal: Principal): ResourceMeta {
  const at = timestampFromDate(new Date())
  return create(ResourceMetaSchema, {
    version: (previous?.version ?? 0n) + 1n,
    createdAt: previous?.createdAt ?? at,
    createdBy: previous?.createdBy ?? principal.name,
    updatedAt: at,
    updatedBy: principal.name,
  })
}

/** Specs compare without status (server-assigned). */
const sameNamespaceSpec = (a: Namespace, b: Namespace) => equals(NamespaceSchema, {...a, status: undefined}, {...b, status: undefined})
const sameBackendSpec = (a: Backend, b: Backend) => equals(BackendSchema, {...a, status: undefined}, {...b, status: undefined})

export class ControlPlaneService {
  /** 'change' (a Change) after every commit; 'resync' and 'health' (see followReplicas); 'close' when the server stops. */
  readonly events = new EventEmitter()

  private readonly refusals: RefusalAudit

  constructor(private readonly store: Store) {
    this.events.setMaxListeners(0)
    this.refusals = new RefusalAudit(store)
  }

  /** Writes what is still only counted (aggregated refusals); the store stays open. */
  async stop(): Promise<void> {
    await this.refusals.stop()
  }

  /** False while a shared store's change feed is down: a watch could miss changes, so none runs meanwhile. */
  changeFeedUp = true

  /**
   * Relays changes other replicas commit to a shared store into this replica's watch events. When the feed drops,
   * open watches end ('resync': they may have missed changes, deletes included) and new ones are refused until it
   * is back; 'health' says the serving status may have changed.
   */
  async followReplicas(): Promise<void> {
    await this.store.followRemoteChanges?.({
      change: (change) => void this.relay(change).catch(() => {}),
      lost: (reason) => {
        this.changeFeedUp = false
        this.events.emit('resync', reason)
        this.events.emit('health')
      },
      restored: () => {
        this.changeFeedUp = true
        this.events.emit('health')
      },
    })
  }

  requireChangeFeed(): void {
    if (this.changeFeedUp) return
    throw new PrismError('the control plane cannot follow its store right now (its change feed is reconnecting)', {
      code: 'UNAVAILABLE',
      hint: 'Retry shortly: health reports SERVING again once the store is reachable.',
    })
  }

  private async relay(change: RemoteChange): Promise<void> {
    if (change.deleted) {
      this.events.emit('change', new Change(WatchEventType.DELETE, change.kind, change.name))
      return
    }
    // The notification names the resource; its current state is what watchers need.
    const row = await this.store.get(change.kind, change.name)
    if (!row) return
    this.events.emit('change', new Change(WatchEventType.UPSERT, change.kind, change.name, row.data))
  }

  // --- reads -------------------------------------------------------------------------------------------------

  async getNamespace(name: string): Promise<Namespace> {
    const found = await this.store.getNamespace(name)
    if (!found) throw notFound('namespace', name)
    return withServing(redactNamespace(fromBinary(NamespaceSchema, found.row.data)), found.serving)
  }

  async getBackend(name: string): Promise<Backend> {
    const row = await this.store.get('backend', name)
    if (!row) throw notFound('backend', name)
    return redactBackend(fromBinary(BackendSchema, row.data))
  }

  async listNamespaces(req: ListNamespacesRequest): Promise<{namespaces: Namespace[]; nextPageToken: string}> {
    const limit = pageSize(req.pageSize)
    const labels = labelConditions(req.labels, req.labelSelector)
    const rows = await this.store.list('namespace', {limit: limit + 1, after: decodeToken(req.pageToken, NAME_PATTERN), team: req.team || undefined, labels})
    const {page, nextPageToken} = paginate(rows, limit, (r) => r.name)
    return {namespaces: await this.withServingStatus(page.map((r) => redactNamespace(fromBinary(NamespaceSchema, r.data)))), nextPageToken}
  }

  async listBackends(req: ListBackendsRequest): Promise<{backends: Backend[]; nextPageToken: string}> {
    const limit = pageSize(req.pageSize)
    const labels = labelConditions({}, req.labelSelector)
    const rows = await this.store.list('backend', {limit: limit + 1, after: decodeToken(req.pageToken, NAME_PATTERN), backendType: req.type || undefined, labels})
    const {page, nextPageToken} = paginate(rows, limit, (r) => r.name)
    return {backends: page.map((r) => redactBackend(fromBinary(BackendSchema, r.data))), nextPageToken}
  }

  async listAuditEvents(req: ListAuditEventsRequest): Promise<{events: AuditEvent[]; nextPageToken: string}> {
    const limit = pageSize(req.pageSize)
    const before = decodeToken(req.pageToken, ID_TOKEN)
    await this.refusals.flush()
    const rows = await this.store.listAudit({
      limit: limit + 1,
      before: before === undefined ? undefined : Number(before),
      resourceName: req.resourceName || undefined,
      principal: req.principal || undefined,
      since: req.since ? timestampDate(req.since) : undefined,
    })
    const {page, nextPageToken} = paginate(rows, limit, (r) => String(r.id))
    return {
      events: page.map((r) =>
        create(AuditEventSchema, {
          id: BigInt(r.id),
          time: timestampFromDate(r.time),
          principal: r.principal,
          action: r.action,
          resourceKind: r.resourceKind,
          resourceName: r.resourceName,
          outcome: r.outcome,
          message: r.message,
          count: r.count,
        }),
      ),
      nextPageToken,
    }
  }

  /** Every current resource as an UPSERT, backends first since namespaces refer to them: the start of a Watch. */
  async *snapshot(): AsyncGenerator<Change> {
    for (const kind of ['backend', 'namespace'] as const) {
      let after: string | undefined
      for (;;) {
        const rows = await this.store.list(kind, {limit: SNAPSHOT_PAGE, after})
        for (const r of rows) yield new Change(WatchEventType.UPSERT, kind, r.name, r.data)
        if (rows.length < SNAPSHOT_PAGE) break
        after = rows[rows.length - 1]!.name
      }
    }
  }

  // --- proxy leases ------------------------------------------------------------------------------------------

  async renewProxyLease(req: RenewProxyLeaseRequest): Promise<{expiresAt: Timestamp; ttlSeconds: number}> {
    const {lease, violations} = leaseFrom(req)
    if (violations.length) throw invalid('the lease', violations)
    const expires = await this.store.renewLease(lease)
    return {expiresAt: timestampFromDate(expires), ttlSeconds: lease.ttlMs / 1000}
  }

  async releaseProxyLease(proxyId: string): Promise<void> {
    const violations = proxyIdViolations(proxyId)
    if (violations.length) throw invalid('the request', violations)
    await this.store.releaseLease(proxyId)
  }

  /** Phase and serving proxies are not stored: they come from the live leases, in one query for all of `namespaces`. */
  private async withServingStatus(namespaces: Namespace[]): Promise<Namespace[]> {
    if (namespaces.length === 0) return namespaces
    const serving = await this.store.servingProxies(namespaces.map((ns) => ns.name))
    return namespaces.map((ns) => withServing(ns, serving.get(ns.name) ?? []))
  }

  // --- namespace writes --------------------------------------------------------------------------------------

  async createNamespace(principal: Principal, namespace: Namespace | undefined, dryRun: boolean): Promise<Namespace> {
    return (await this.writeNamespace(principal, 'CreateNamespace', 'create', namespace, dryRun, 0)).namespace
  }

  async applyNamespace(principal: Principal, req: ApplyNamespaceRequest): Promise<{namespace: Namespace; result: ApplyResult}> {
    return this.writeNamespace(principal, 'ApplyNamespace', 'apply', req.namespace, req.dryRun, Number(req.expectedVersion))
  }

  private async writeNamespace(principal: Principal, action: string, mode: WriteMode, input: Namespace | undefined, dryRun: boolean, expected: number) {
    const name = input?.name ?? ''
    return this.audited(principal, action, 'namespace', name, dryRun, async () => {
      if (!input) throw invalid('the request', [{field: 'namespace', description: 'is required'}])
      for (let attempt = 1; ; attempt++) {
        const {stored, storedVersion} = await this.readForWrite(NamespaceSchema, 'namespace', name, mode, expected)
        if (dryRun && stored) await this.auditSecretComparison(principal, action, 'namespace', input)

        // The one copy of the input this attempt works on (secrets are restored into it; fields this server does not
        // know are dropped, never stored): spec, then the next version.
        const next = dropUnknownFields(clone(NamespaceSchema, input))
        next.status = undefined
        const violations = restoreNamespaceSecrets(next, stored)
        if (stored && violations.length === 0 && sameNamespaceSpec(next, stored)) {
          return {namespace: redactNamespace(stored), result: ApplyResult.UNCHANGED}
        }
        violations.push(...validateNamespace(next).map((v) => ({field: v.path, description: v.message})))
        const resolution = await resolveNamespace(next, this.catalog(), stored?.status)
        violations.push(...resolution.violations)
        if (violations.length) throw invalid(`Namespace ${name || '(unnamed)'}`, violations)

        next.status = create(NamespaceStatusSchema, {
          meta: nextMeta(stored?.status?.meta, principal),
          partition: partitionOf(name),
          phase: NamespacePhase.PENDING,
          patterns: resolution.patterns,
        })
        const result = stored ? ApplyResult.CONFIGURED : ApplyResult.CREATED
        if (dryRun) return {namespace: redactNamespace(next), result}

        const version = Number(next.status.meta!.version)
        const data = toBinary(NamespaceSchema, next)
        const shown = redactNamespace(next)
        const outcome = await this.store.commit(
          {kind: 'namespace', name, expectedVersion: storedVersion, row: {name, version, data, team: next.team, labels: next.labels, binds: resolution.binds}},
          {},
          this.auditRecord(principal, action, 'namespace', name, 'OK', `${stored ? 'updated to' : 'created at'} version ${version}`),
        )
        if (outcome.ok) {
          this.events.emit('change', new Change(WatchEventType.UPSERT, 'namespace', name, data))
          return {namespace: shown, result}
        }
        if ('conflict' in outcome) {
          const err = lostRace('namespace', name, mode, expected, storedVersion, outcome.conflict.actualVersion, attempt)
          if (err) throw err
        } else if (attempt >= MAX_ATTEMPTS) {
          throw new PrismError(`Namespace ${name} could not be written: its backends kept changing`, {code: 'ABORTED', hint: 'Submit it again.'})
        }
        // Someone else wrote in between (or a bound backend vanished): re-read and re-resolve.
      }
    })
  }

  async deleteNamespace(principal: Principal, req: DeleteNamespaceRequest): Promise<Namespace> {
    return this.deleteResource(principal, 'DeleteNamespace', 'namespace', req.name, req.dryRun, Number(req.expectedVersion), false) as Promise<Namespace>
  }

  // --- backend writes ----------------------------------------------------------------------------------------

  async registerBackend(principal: Principal, backend: Backend | undefined, dryRun: boolean): Promise<Backend> {
    return (await this.writeBackend(principal, 'RegisterBackend', 'create', backend, dryRun, 0)).backend
  }

  async updateBackend(principal: Principal, req: UpdateBackendRequest): Promise<Backend> {
    return (await this.writeBackend(principal, 'UpdateBackend', 'update', req.backend, req.dryRun, Number(req.expectedVersion))).backend
  }

  async applyBackend(principal: Principal, req: ApplyBackendRequest): Promise<{backend: Backend; result: ApplyResult}> {
    return this.writeBackend(principal, 'ApplyBackend', 'apply', req.backend, req.dryRun, Number(req.expectedVersion))
  }

  private async writeBackend(principal: Principal, action: string, mode: WriteMode, input: Backend | undefined, dryRun: boolean, expected: number) {
    const name = input?.name ?? ''
    return this.audited(principal, action, 'backend', name, dryRun, async () => {
      if (!input) throw invalid('the request', [{field: 'backend', description: 'is required'}])
      for (let attempt = 1; ; attempt++) {
        const {stored, storedVersion} = await this.readForWrite(BackendSchema, 'backend', name, mode, expected)
        if (dryRun && stored) await this.auditSecretComparison(principal, action, 'backend', input)

        // As for namespaces: one copy of the input, serialized before it is redacted in place.
        const next = dropUnknownFields(clone(BackendSchema, input))
        next.status = undefined
        const violations = restoreBackendSecrets(next, stored)
        if (stored && violations.length === 0 && sameBackendSpec(next, stored)) {
          return {backend: redactBackend(stored), result: ApplyResult.UNCHANGED}
        }
        violations.push(...validateBackend(next).map((v) => ({field: v.path, description: v.message})))
        if (violations.length) throw invalid(`Backend ${name || '(unnamed)'}`, violations)

        next.status = create(BackendStatusSchema, {meta: nextMeta(stored?.status?.meta, principal)})
        const result = stored ? ApplyResult.CONFIGURED : ApplyResult.CREATED
        if (dryRun) return {backend: redactBackend(next), result}

        const version = Number(next.status.meta!.version)
        const data = toBinary(BackendSchema, next)
        const shown = redactBackend(next)
        const outcome = await this.store.commit(
          {kind: 'backend', name, expectedVersion: storedVersion, row: {name, version, data, labels: next.labels, backendType: next.type}},
          {},
          this.auditRecord(principal, action, 'backend', name, 'OK', `${stored ? 'updated to' : 'registered at'} version ${version}`),
        )
        if (outcome.ok) {
          this.events.emit('change', new Change(WatchEventType.UPSERT, 'backend', name, data))
          return {backend: shown, result}
        }
        if ('conflict' in outcome) {
          const err = lostRace('backend', name, mode, expected, storedVersion, outcome.conflict.actualVersion, attempt)
          if (err) throw err
        }
      }
    })
  }

  async deleteBackend(principal: Principal, req: DeleteBackendRequest): Promise<Backend> {
    return this.deleteResource(principal, 'DeleteBackend', 'backend', req.name, req.dryRun, Number(req.expectedVersion), req.force) as Promise<Backend>
  }

  private async deleteResource(principal: Principal, action: string, kind: Kind, name: string, dryRun: boolean, expected: number, force: boolean): Promise<Namespace | Backend> {
    return this.audited(principal, action, kind, name, dryRun, async () => {
      for (let attempt = 1; ; attempt++) {
        const row = await this.store.get(kind, name)
        if (!row) throw notFound(kind, name)
        if (expected && row.version !== expected) throw conflict(kind, name, expected, row.version)
        const shown = shownFrom(kind, row.data)
        let boundBy: string[] = []
        if (kind === 'backend') {
          boundBy = await this.store.namespacesBinding(name)
          if (boundBy.length && !force) throw bound(name, boundBy)
        }
        if (dryRun) return shown
        const note = boundBy.length ? `; forced while namespaces ${boundBy.join(', ')} still bind it` : ''
        const outcome = await this.store.commit(
          {kind, name, expectedVersion: row.version, row: null},
          {unbound: kind === 'backend' && !force},
          this.auditRecord(principal, action, kind, name, 'OK', `deleted version ${row.version}${note}`),
        )
        if (outcome.ok) {
          this.events.emit('change', new Change(WatchEventType.DELETE, kind, name, row.data))
          return shown
        }
        if ('boundBy' in outcome) throw bound(name, outcome.boundBy)
        if ('conflict' in outcome) {
          const err = lostRace(kind, name, 'delete', expected, row.version, outcome.conflict.actualVersion, attempt)
          if (err) throw err
        }
      }
    })
  }

  // --- plumbing ----------------------------------------------------------------------------------------------

  /** The stored resource a write replaces (decoded; none for a malformed name, which validation reports), after the checks its mode makes first. */
  private async readForWrite<S extends typeof NamespaceSchema | typeof BackendSchema>(schema: S, kind: Kind, name: string, mode: WriteMode, expected: number) {
    const row = NAME_PATTERN.test(name) ? await this.store.get(kind, name) : undefined
    const stored = row && fromBinary(schema, row.data)
    const storedVersion = row?.version ?? 0
    if (mode === 'create' && stored) throw alreadyExists(kind, name)
    if (mode === 'update' && !stored && NAME_PATTERN.test(name)) throw notFound(kind, name)
    // Expecting a version of what is not there is not a lost race: say that it does not exist.
    if (expected && !stored && NAME_PATTERN.test(name))
      throw new PrismError(`${KIND_LABEL[kind]} ${name} does not exist (you expected version ${expected}); nothing was written`, {
        code: 'NOT_FOUND',
        hint: `Leave out --expected-version to create it, or check the name: prismctl ${kind} list`,
      })
    if (expected && storedVersion !== expected) throw conflict(kind, name, expected, storedVersion)
    return {stored, storedVersion}
  }

  /** Records a write refused before it reached the service for lack of a role (aggregated per principal and minute). */
  async auditRefusal(principal: Principal, action: string, kind: Kind, name: string, err: PrismError): Promise<void> {
    await this.refusals.record(this.auditRecord(principal, action, kind, name, err.code, err.message))
  }

  private async audited<T>(principal: Principal, action: string, kind: Kind, name: string, dryRun: boolean, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      if (!dryRun) {
        const code = isPrismError(err) ? err.code : 'INTERNAL'
        const message = isPrismError(err) ? [err.message, ...err.details].join('; ') : 'internal error'
        await this.store.appendAudit(this.auditRecord(principal, action, kind, name, code, message)).catch(() => {})
      }
      throw err
    }
  }

  /**
   * Dry runs are not audited, except one that compares a static secret in clear with the stored one: its answer
   * (unchanged or configured) confirms or refutes a guess, so whoever tries guesses shows in the audit log.
   */
  private async auditSecretComparison(principal: Principal, action: string, kind: Kind, input: Namespace | Backend): Promise<void> {
    if (!sendsClearSecret(input, kind)) return
    await this.store.appendAudit(this.auditRecord(principal, action, kind, input.name, 'DRY_RUN', 'a server dry run compared a static secret given in clear with the stored one'))
  }

  private auditRecord(principal: Principal, action: string, kind: Kind, name: string, outcome: string, message: string): AuditRecord {
    return {time: new Date(), principal: principal.name, action, resourceKind: KIND_LABEL[kind], resourceName: name.slice(0, 200), outcome, message: message.slice(0, 4000)}
  }

  /** Backends as one write sees them: each looked up once, however many slots name it or its type. */
  private catalog(): BackendCatalog {
    const byName = new Map<string, Promise<Backend | undefined>>()
    const byType = new Map<BackendType, Promise<Backend[]>>()
    return {
      byName: (name) => {
        let found = byName.get(name)
        if (!found) {
          found = this.store.get('backend', name).then((r) => r && fromBinary(BackendSchema, r.data))
          byName.set(name, found)
        }
        return found
      },
      byType: (type) => {
        let found = byType.get(type)
        if (!found) {
          found = this.store.list('backend', {limit: MAX_PAGE_SIZE, backendType: type}).then((rows) => rows.map((r) => fromBinary(BackendSchema, r.data)))
          byType.set(type, found)
        }
        return found
      },
    }
  }
}

/** How many binding namespaces a message names; the details list them all. */
const NAMED_IN_MESSAGE = 10

function bound(name: string, namespaces: string[]): PrismError {
  const more = namespaces.length - NAMED_IN_MESSAGE
  const named = more > 0 ? `${namespaces.slice(0, NAMED_IN_MESSAGE).join(', ')} and ${more} more` : namespaces.join(', ')
  return new PrismError(`Backend ${name} is bound by namespace${namespaces.length === 1 ? '' : 's'} ${named}; nothing was deleted`, {
    code: 'FAILED_PRECONDITION',
    details: namespaces.map((n) => `namespace/${n}: binds backend ${name}`),
    hint: 'Rebind or delete those namespaces first, or delete with --force (they keep pointing at a backend that is gone).',
  })
}

/** A stored resource as callers see it: decoded, secrets redacted. */
function shownFrom(kind: Kind, data: Uint8Array): Namespace | Backend {
  return kind === 'namespace' ? redactNamespace(fromBinary(NamespaceSchema, data)) : redactBackend(fromBinary(BackendSchema, data))
}

/** The namespace's status with the proxies serving it: ACTIVE when any does, PENDING otherwise. */
function withServing(ns: Namespace, servingProxies: string[]): Namespace {
  if (ns.status) {
    ns.status.servingProxies = servingProxies
    ns.status.phase = servingProxies.length ? NamespacePhase.ACTIVE : NamespacePhase.PENDING
  }
  return ns
}
