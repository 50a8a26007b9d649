/**
 * create / apply / update of YAML documents against the control plane. Every document is validated locally
 * before anything is sent; then Backends go first (namespaces may bind them), and one failing document does not
 * stop the others (as kubectl does): each outcome is reported, and the command fails at the end if any failed.
 */
import {equals} from '@bufbuild/protobuf'

import type {AdminClient} from '../api/admin-client.js'
import {PrismError, usageError, withResult} from '../errors.js'
import {ApplyResult} from '../gen/prism/admin/v1/control_plane_pb.js'
import {BackendSchema, NamespaceSchema, type Backend, type Namespace} from '../gen/prism/admin/v1/resources_pb.js'
import {resourceRef, type Kind, type SourceDoc} from '../model/documents.js'
import {describeSource, loadDocuments} from '../model/load.js'
import {withAdmin, type ConnectionOptions} from './connection.js'
import {findResource} from './read.js'

export type DryRun = 'none' | 'client' | 'server'
export type WriteMode = 'apply' | 'create' | 'update'
export type Action = 'created' | 'configured' | 'unchanged' | 'updated' | 'deleted'

export interface Outcome {
  kind: Kind
  name: string
  /** Where the document came from, e.g. `ns.yaml` or `all.yaml (document 2)`; absent for flag-built resources. */
  source?: string
  action?: Action
  /** The stored version after the write (absent for client dry runs). */
  version?: string
  error?: PrismError
}

export interface WriteOptions {
  mode: WriteMode
  dryRun: DryRun
  /** Compare-and-set; only meaningful with a single document. */
  expectedVersion?: number
}

const APPLY_ACTIONS: Record<ApplyResult, Action> = {
  [ApplyResult.UNSPECIFIED]: 'configured',
  [ApplyResult.CREATED]: 'created',
  [ApplyResult.CONFIGURED]: 'configured',
  [ApplyResult.UNCHANGED]: 'unchanged',
}

/** kubectl order: Backends before the Namespaces that may bind them; file order otherwise. */
export function orderForApply<T extends {kind: Kind}>(docs: T[]): T[] {
  return [...docs.filter((d) => d.kind === 'Backend'), ...docs.filter((d) => d.kind === 'Namespace')]
}

/**
 * Server field violations pointed at the user's file: `ns.yaml:14:15: patterns[0].requires[0].backend: …`. The
 * server reports paths relative to the resource; a request-level prefix (`namespace.`) is tolerated.
 */
export function locateViolations(err: PrismError, doc: SourceDoc): PrismError {
  if (err.violations.length === 0) return err
  const details = err.violations.map((v) => {
    const path = v.field.replace(/^(namespace|backend)\./, '')
    const pos = doc.locate(path)
    return {file: doc.file, line: pos?.line, column: pos?.column, path: v.field || undefined, message: v.description}
  })
  return new PrismError(err.message, {hint: err.hint, code: err.code, exitCode: err.exitCode, details, violations: err.violations, cause: err})
}

/** One server write of one resource; the action it reports. */
export async function writeResource(
  admin: AdminClient,
  kind: Kind,
  resource: Namespace | Backend,
  options: WriteOptions,
): Promise<{action: Action; stored?: Namespace | Backend}> {
  const dryRun = options.dryRun === 'server'
  const expectedVersion = BigInt(options.expectedVersion ?? 0)
  const subject = {kind, name: resource.name}
  if (kind === 'Namespace') {
    const namespace = resource as Namespace
    if (options.mode === 'create') {
      const res = await admin.call('createNamespace', {namespace, dryRun}, subject)
      return {action: 'created', stored: res.namespace}
    }
    if (options.mode === 'update') throw usageError('namespaces are changed with "prismctl namespace apply -f FILE"')
    const res = await admin.call('applyNamespace', {namespace, dryRun, expectedVersion}, subject)
    return {action: APPLY_ACTIONS[res.result], stored: res.namespace}
  }
  const backend = resource as Backend
  if (options.mode === 'create') {
    const res = await admin.call('registerBackend', {backend, dryRun}, subject)
    return {action: 'created', stored: res.backend}
  }
  if (options.mode === 'update') {
    const res = await admin.call('updateBackend', {backend, dryRun, expectedVersion}, subject)
    return {action: 'updated', stored: res.backend}
  }
  const res = await admin.call('applyBackend', {backend, dryRun, expectedVersion}, subject)
  return {action: APPLY_ACTIONS[res.result], stored: res.backend}
}

/**
 * kubectl's client dry run: nothing is written, and an apply reads what is stored to tell created, configured and
 * unchanged apart (a static secret sent in clear counts as a change: only the server can compare it).
 */
async function clientDryRunAction(admin: AdminClient | undefined, kind: Kind, resource: Namespace | Backend, mode: WriteMode): Promise<Action> {
  if (mode !== 'apply' || !admin) return mode === 'update' ? 'updated' : 'created'
  const stored = await findResource(admin, kind, resource.name)
  if (!stored) return 'created'
  const same = kind === 'Namespace' ? equals(NamespaceSchema, {...(stored as Namespace), status: undefined}, {...(resource as Namespace), status: undefined}) : equals(BackendSchema, {...(stored as Backend), status: undefined}, {...(resource as Backend), status: undefined})
  return same ? 'unchanged' : 'configured'
}

/** Writes one resource and says what happened; with --dry-run=client, only what would happen. */
export async function writeOutcome(admin: AdminClient | undefined, kind: Kind, resource: Namespace | Backend, options: WriteOptions, source?: string): Promise<Outcome> {
  const base = {kind, name: resource.name, source}
  if (!admin || options.dryRun === 'client') return {...base, action: await clientDryRunAction(admin, kind, resource, options.mode)}
  const {action, stored} = await writeResource(admin, kind, resource, options)
  return {...base, action, version: stored?.status?.meta?.version.toString()}
}

/** What happened to the documents of one command: the outcomes known so far, in apply order. */
export interface WriteReport {
  outcomes: Outcome[]
  /** How many documents there were to send; more than the outcomes when the run stopped early. */
  total: number
  /** The error that stopped the run (an unreachable server), when one did. */
  stopped?: PrismError
}

export interface WriteProgress {
  /** Called as each outcome is known, so that a person sees the run advance (and what was done if it stops). */
  onOutcome?: (outcome: Outcome, total: number) => void
  /**
   * Called once, when sending starts (not while files are read: Ctrl-C then just ends the command). Once the signal
   * it returns is aborted, no further document is sent; the one in flight finishes, so its outcome is known.
   */
  interruptible?: () => AbortSignal
}

/**
 * Sends documents one at a time in the order given, each outcome reported as soon as it is known (`send` returns
 * undefined for one passed over). Ctrl-C stops between documents; a server that cannot be reached, or that refuses
 * the token, fails every document the same way, so the run stops instead of repeating it.
 */
export async function sendEach<D>(docs: D[], progress: WriteProgress, send: (doc: D) => Promise<Outcome | undefined>): Promise<WriteReport> {
  const report: WriteReport = {outcomes: [], total: docs.length}
  const signal = progress.interruptible?.()
  for (const doc of docs) {
    if (signal?.aborted) break
    const outcome = await send(doc)
    if (!outcome) {
      report.total--
      continue
    }
    if (outcome.error?.code === 'UNAVAILABLE' || outcome.error?.code === 'UNAUTHENTICATED') return {...report, stopped: outcome.error}
    report.outcomes.push(outcome)
    progress.onOutcome?.(outcome, report.total)
  }
  return report
}

/** Writes already-validated documents in apply order, one outcome per document sent. */
function writeDocuments(admin: AdminClient | undefined, docs: SourceDoc[], options: WriteOptions, progress: WriteProgress): Promise<WriteReport> {
  return sendEach(orderForApply(docs), progress, async (doc) => {
    const source = describeSource(doc)
    try {
      return await writeOutcome(admin, doc.kind, doc.message, options, source)
    } catch (err) {
      if (!(err instanceof PrismError)) throw err
      return {kind: doc.kind, name: doc.message.name, source, error: locateViolations(err, doc)}
    }
  })
}

export interface WriteFilesOptions extends WriteOptions, WriteProgress {
  files: string[]
  /** -R: directories with their subdirectories. */
  recursive?: boolean
  /** Kinds the command accepts; others are reported as errors before anything is sent. */
  kinds: Kind[]
  /** The command, for messages, e.g. "prismctl namespace apply". */
  command: string
  connection: ConnectionOptions
}

export const LOAD_HINT = 'Fix the problems listed and run the command again.'

/** `-f FILE…`: load, validate locally, then write (with --dry-run=client, apply only reads; create and update send nothing). */
export async function writeFiles(options: WriteFilesOptions): Promise<WriteReport> {
  const {docs} = await loadDocuments(options.files, {
    kinds: options.kinds,
    kindAdvice: `"${options.command}" takes only ${options.kinds.join(' and ')} documents; apply files that mix kinds with "prismctl apply -f"`,
    hint: LOAD_HINT,
    outcome: 'nothing was sent',
    recursive: options.recursive,
  })
  if (options.expectedVersion !== undefined && docs.length !== 1) {
    throw usageError(`--expected-version needs exactly one document, and ${options.files.join(', ')} holds ${docs.length}`)
  }
  if (options.dryRun === 'client' && options.mode !== 'apply') return writeDocuments(undefined, docs, options, options)
  return withAdmin(options.connection, (admin) => writeDocuments(admin, docs, options, options))
}

export function dryRunSuffix(dryRun: DryRun): string {
  return dryRun === 'client' ? ' (dry run)' : dryRun === 'server' ? ' (server dry run)' : ''
}

/** The kubectl-style line for a successful outcome: `namespace/team-alpha created (server dry run)`. */
export function outcomeLine(outcome: Outcome, dryRun: DryRun): string {
  return `${resourceRef(outcome.kind, outcome.name)} ${outcome.action}${dryRunSuffix(dryRun)}`
}

/**
 * The error a command ends with when some documents failed: the document's own error when it was the only one,
 * otherwise a summary naming each failed document (the others were written).
 */
export function failureOf(outcomes: Outcome[], done = 'applied'): PrismError | undefined {
  const failed = outcomes.filter((o) => o.error)
  if (failed.length === 0) return undefined
  if (outcomes.length === 1) return failed[0]!.error
  const details = failed.flatMap((o) => [{message: `${resourceRef(o.kind, o.name)}${o.source ? ` (${o.source})` : ''}: ${o.error!.message}`}, ...o.error!.problems])
  const hints = [...new Set(failed.map((o) => o.error!.hint).filter(Boolean))]
  return new PrismError(`${failed.length} of ${outcomes.length} documents failed; the others were ${done}`, {
    code: failed[0]!.error!.code,
    details,
    hint: hints.length === 1 ? hints[0] : 'Fix the documents listed and run the command again.',
  })
}

/**
 * What a command prints as each outcome arrives: a kubectl-style line on stdout for a success; for a failure among
 * several documents, one line on stderr (the full problems come in the final error; a single document's error is
 * that final error itself).
 */
export function outcomePrinter(dryRun: DryRun, out: (line: string) => void, note: (line: string) => void): (outcome: Outcome, total: number) => void {
  return (o, total) => {
    if (!o.error) out(outcomeLine(o, dryRun))
    else if (total > 1) note(`${resourceRef(o.kind, o.name)} failed: ${o.error.message}`)
  }
}

/**
 * How every write command ends: the --json result (every document's outcome), or the error that ended the run
 * (interrupted, stopped by an unreachable server, or documents that failed) carrying that same result.
 */
export function finishWrite(report: WriteReport, dryRun: DryRun, mode: WriteMode | 'delete'): WriteResult {
  const result = writeResult(report.outcomes, dryRun)
  if (report.stopped) throw withResult(report.stopped, result)
  if (report.outcomes.length < report.total) {
    throw new PrismError(`interrupted after ${report.outcomes.length} of ${report.total} documents; the rest were not sent`, {
      exitCode: 130,
      code: 'INTERRUPTED',
      result,
      hint:
        mode === 'apply' ? 'apply is idempotent: run the same command again to send the rest.'
        : mode === 'delete' ? 'Run the same command with --ignore-not-found to delete the rest.'
        : undefined,
    })
  }
  const failure = failureOf(report.outcomes, dryRun !== 'none' ? 'checked (nothing was written: a dry run)' : mode === 'delete' ? 'deleted' : 'applied')
  if (failure) throw withResult(failure, result)
  return result
}

export type WriteResult = {dryRun: DryRun; items: Record<string, unknown>[]}

/** What --json shows for a write command, on success and failure alike: one item per document sent. */
function writeResult(outcomes: Outcome[], dryRun: DryRun): WriteResult {
  return {
    dryRun,
    items: outcomes.map((o) => ({
      kind: o.kind,
      name: o.name,
      source: o.source,
      result: o.error ? 'failed' : o.action,
      version: o.version,
      error: o.error && {code: o.error.code, message: o.error.message, hint: o.error.hint, details: o.error.problems},
    })),
  }
}
