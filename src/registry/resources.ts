/**
 * get / list / delete of namespaces and backends, and `backend register|update` from flags: the service functions
 * behind those commands. Each opens one connection, makes its calls, and returns plain data for rendering.
 */
import type {AdminClient} from '../api/admin-client.js'
import {PrismError, usageError} from '../errors.js'
import {BackendType, type Backend} from '../gen/prism/admin/v1/resources_pb.js'
import type {Kind, Resource} from '../model/documents.js'
import {parseSelector} from '../model/label-selector.js'
import {validateBackend} from '../model/validate.js'
import {backendFromFlags, hasBackendChanges, parseBackendType, updateBackendFromFlags, type BackendFlagValues} from './backend-flags.js'
import {confirmDestructive} from './confirm.js'
import {fetchResource} from './read.js'
import {withAdmin, type ConnectionOptions} from './connection.js'
import {writeFiles, writeOutcome, type DryRun, type Outcome, type WriteProgress, type WriteReport} from './write.js'

const PAGE_SIZE = 100

export async function getResource<K extends Kind>(kind: K, name: string, connection: ConnectionOptions): Promise<Resource<K>> {
  return withAdmin(connection, (admin) => fetchResource(admin, kind, name))
}

export interface ListFilters {
  team?: string
  /** kubectl-style label selectors (`env=dev,tier in (gold,silver),!legacy`); every one must hold. */
  selectors?: string[]
  /** Backend type name, e.g. redis. */
  type?: string
  /** Stop after this many items; all pages otherwise. */
  limit?: number
}

/** Follows next_page_token until the server has no more, or `limit` items are in hand. */
export async function listResources<K extends Kind>(kind: K, filters: ListFilters, connection: ConnectionOptions): Promise<Resource<K>[]> {
  const labelSelector = parseSelector((filters.selectors ?? []).join(','))
  const type = filters.type ? parseBackendType(filters.type) : BackendType.UNSPECIFIED
  return withAdmin(connection, async (admin) => {
    const items: Resource<K>[] = []
    let pageToken = ''
    do {
      const pageSize = Math.min(PAGE_SIZE, filters.limit ? filters.limit - items.length : PAGE_SIZE)
      if (kind === 'Namespace') {
        const page = await admin.call('listNamespaces', {pageSize, pageToken, team: filters.team ?? '', labelSelector})
        items.push(...(page.namespaces as Resource<K>[]))
        pageToken = page.nextPageToken
      } else {
        const page = await admin.call('listBackends', {pageSize, pageToken, type, labelSelector})
        items.push(...(page.backends as Resource<K>[]))
        pageToken = page.nextPageToken
      }
    } while (pageToken && !(filters.limit && items.length >= filters.limit))
    return filters.limit ? items.slice(0, filters.limit) : items
  })
}

export interface DeleteOptions {
  dryRun: DryRun
  yes?: boolean
  /** Backends only: delete even when namespaces bind it. */
  force?: boolean
  expectedVersion?: number
}

/** Confirms (unless --yes or a dry run) once the resource is known to exist, then deletes; returns what was deleted. */
export async function deleteResource<K extends Kind>(kind: K, name: string, options: DeleteOptions, connection: ConnectionOptions): Promise<Resource<K>> {
  if (options.dryRun === 'client') throw usageError('--dry-run=client has nothing to check for a delete', 'Use --dry-run=server to have the control plane check it.')
  const what = `${kind.toLowerCase()} "${name}"`
  const dryRun = options.dryRun === 'server'
  const expectedVersion = BigInt(options.expectedVersion ?? 0)
  return withAdmin(connection, async (admin) => {
    if (!dryRun && !options.yes) {
      // Nobody is asked to confirm deleting what is not there: a missing resource is NOT_FOUND before any prompt.
      await fetchResource(admin, kind, name)
      await confirmDestructive(`Delete ${what}?${options.force ? ' (forced, even if namespaces bind it)' : ''}`, `delete ${what}`, {yes: options.yes})
    }
    return deleteCall(admin, kind, name, {dryRun, force: options.force, expectedVersion})
  })
}

/** One delete RPC; what the server deleted (or would, in a dry run). */
export async function deleteCall<K extends Kind>(admin: AdminClient, kind: K, name: string, options: {dryRun: boolean; force?: boolean; expectedVersion?: bigint}): Promise<Resource<K>> {
  const {dryRun, expectedVersion = 0n} = options
  if (kind === 'Namespace') {
    const res = await admin.call('deleteNamespace', {name, dryRun, expectedVersion}, {kind, name})
    return (res.namespace ?? {name}) as Resource<K>
  }
  const res = await admin.call('deleteBackend', {name, dryRun, force: options.force ?? false, expectedVersion}, {kind, name})
  return (res.backend ?? {name}) as Resource<K>
}

/** A backend built from flags is checked as a file would be, before anything is sent. */
function checkBackend(backend: Backend): void {
  const violations = validateBackend(backend)
  if (violations.length > 0) {
    throw new PrismError(`backend "${backend.name}" is not valid`, {
      code: 'INVALID_ARGUMENT',
      details: violations.map((v) => ({path: v.path, message: v.message})),
      violations: violations.map((v) => ({field: v.path, description: v.message})),
      hint: 'Fix the flags and retry.',
    })
  }
}

export interface BackendWriteOptions {
  /** From the NAME argument; required without -f. */
  name?: string
  files?: string[]
  recursive?: boolean
  flags: BackendFlagValues
  dryRun: DryRun
  expectedVersion?: number
  connection: ConnectionOptions
  progress?: WriteProgress
}

/** The report of one resource written from flags. */
async function single(write: () => Promise<Outcome>, progress: WriteProgress = {}): Promise<WriteReport> {
  const outcome = await write()
  progress.onOutcome?.(outcome, 1)
  return {outcomes: [outcome], total: 1}
}

function fileMode(options: BackendWriteOptions, command: string): boolean {
  if (!options.files?.length) return false
  if (hasBackendChanges(options.flags) || options.name) throw usageError(`${command}: give either -f FILE or NAME with flags, not both`, 'The backend names come from the documents in the files.')
  return true
}

/** `backend register NAME --type … [flags]` or `backend register -f FILE`. */
export async function registerBackend(options: BackendWriteOptions): Promise<WriteReport> {
  const command = 'prismctl backend register'
  if (fileMode(options, command)) {
    return writeFiles({files: options.files!, kinds: ['Backend'], mode: 'create', dryRun: options.dryRun, recursive: options.recursive, command, connection: options.connection, ...options.progress})
  }
  if (!options.name) throw usageError('backend register needs a NAME (with --type and its flags) or -f FILE')
  const backend = backendFromFlags(options.name, options.flags)
  checkBackend(backend)
  const write = (admin?: AdminClient) => writeOutcome(admin, 'Backend', backend, {mode: 'create', dryRun: options.dryRun})
  if (options.dryRun === 'client') return single(() => write(), options.progress)
  return withAdmin(options.connection, (admin) => single(() => write(admin), options.progress))
}

/**
 * `backend update NAME [flags]`: read, change, write back guarded by the version that was read (or by
 * --expected-version), so a concurrent change is a conflict instead of being overwritten. `-f FILE` replaces it.
 */
export async function updateBackend(options: BackendWriteOptions): Promise<WriteReport> {
  const command = 'prismctl backend update'
  if (fileMode(options, command)) {
    return writeFiles({
      files: options.files!,
      kinds: ['Backend'],
      mode: 'update',
      dryRun: options.dryRun,
      recursive: options.recursive,
      expectedVersion: options.expectedVersion,
      command,
      connection: options.connection,
      ...options.progress,
    })
  }
  const name = options.name
  if (!name) throw usageError('backend update needs a NAME (with the flags to change) or -f FILE')
  if (!hasBackendChanges(options.flags)) throw usageError(`nothing to change for backend "${name}"`, 'Pass the flags to change, e.g. --address, --interfaces, --label k=v; or -f FILE.')
  return withAdmin(options.connection, async (admin) => {
    const current = await admin.call('getBackend', {name}, {kind: 'Backend', name})
    const backend = updateBackendFromFlags(current, options.flags)
    checkBackend(backend)
    const expectedVersion = options.expectedVersion ?? Number(current.status?.meta?.version ?? 0)
    return single(() => writeOutcome(admin, 'Backend', backend, {mode: 'update', dryRun: options.dryRun, expectedVersion}), options.progress)
  })
}
