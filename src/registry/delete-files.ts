/**
 * `prismctl delete -f FILE…`: deletes the Namespaces and Backends the documents name, as kubectl's delete -f does.
 * Namespaces go first (they may bind the Backends deleted after them). Only kind and name matter, so a document that
 * breaks a rule can still be deleted; nothing is deleted when a file cannot be read. One confirmation covers them
 * all, asked once what exists is known; a document that fails does not stop the others.
 */
import type {AdminClient} from '../api/admin-client.js'
import {PrismError, usageError} from '../errors.js'
import type {Kind, SourceDoc} from '../model/documents.js'
import {describeSource, loadDocuments} from '../model/load.js'
import {confirmDestructive} from './confirm.js'
import {withAdmin, type ConnectionOptions} from './connection.js'
import {findResource} from './read.js'
import {deleteCall} from './resources.js'
import {LOAD_HINT, type DryRun, type Outcome, type WriteProgress, type WriteReport} from './write.js'

export interface DeleteFilesOptions extends WriteProgress {
  files: string[]
  recursive?: boolean
  dryRun: DryRun
  yes?: boolean
  /** A resource that does not exist is passed over instead of failing the command. */
  ignoreNotFound?: boolean
  connection: ConnectionOptions
}

/** Namespaces before the Backends they may bind; file order otherwise. */
export function orderForDelete<T extends {kind: Kind}>(docs: T[]): T[] {
  return [...docs.filter((d) => d.kind === 'Namespace'), ...docs.filter((d) => d.kind === 'Backend')]
}

const label = (doc: {kind: Kind; message: {name: string}}) => `${doc.kind.toLowerCase()}/${doc.message.name}`

export async function deleteFiles(options: DeleteFilesOptions): Promise<WriteReport> {
  if (options.dryRun === 'client') throw usageError('--dry-run=client has nothing to check for a delete', 'Use --dry-run=server to have the control plane check it.')
  const {docs} = await loadDocuments(options.files, {kinds: ['Backend', 'Namespace'], rules: false, hint: LOAD_HINT, outcome: 'nothing was deleted', recursive: options.recursive})
  const unnamed = docs.filter((d) => !d.message.name)
  if (unnamed.length > 0) throw usageError(`${unnamed.map(describeSource).join(', ')}: a document without a name; nothing was deleted`, 'Every document needs the name of what to delete.')
  // One document per resource, even if the files name it twice.
  const seen = new Set<string>()
  const unique = orderForDelete(docs).filter((d) => !seen.has(label(d)) && seen.add(label(d)))
  return withAdmin(options.connection, async (admin) => {
    const report: WriteReport = {outcomes: [], total: unique.length}
    let targets = unique
    if (options.dryRun !== 'server' && !options.yes) {
      // Nobody is asked about what is not there: missing ones are known (and reported) before the prompt.
      const existing: SourceDoc[] = []
      for (const doc of unique) {
        if (await findResource(admin, doc.kind, doc.message.name)) existing.push(doc)
        else if (!options.ignoreNotFound) record(report, options, notFound(doc))
      }
      if (existing.length > 0) {
        const names = existing.map(label)
        const shown = names.length > 10 ? `${names.slice(0, 10).join(', ')} and ${names.length - 10} more` : names.join(', ')
        await confirmDestructive(`Delete ${shown}?`, `delete ${names.length === 1 ? names[0] : `${names.length} resources`}`, {yes: options.yes})
      }
      targets = existing
      report.total = report.outcomes.length + targets.length
    }
    const signal = options.interruptible?.()
    const namespacesDeleted = new Set<string>()
    for (const doc of targets) {
      if (signal?.aborted) break
      const outcome = await deleteOutcome(admin, doc, options, namespacesDeleted)
      if (outcome?.action && doc.kind === 'Namespace') namespacesDeleted.add(doc.message.name)
      if (outcome) record(report, options, outcome)
      else report.total--
      if (outcome?.error?.code === 'UNAVAILABLE' || outcome?.error?.code === 'UNAUTHENTICATED') return {...report, stopped: outcome.error}
    }
    return report
  })
}

function record(report: WriteReport, progress: WriteProgress, outcome: Outcome): void {
  report.outcomes.push(outcome)
  progress.onOutcome?.(outcome, report.total)
}

function notFound(doc: SourceDoc): Outcome {
  const error = new PrismError(`${doc.kind.toLowerCase()} "${doc.message.name}" not found`, {code: 'NOT_FOUND', hint: 'Pass --ignore-not-found to delete what exists and pass over the rest.'})
  return {kind: doc.kind, name: doc.message.name, source: describeSource(doc), error}
}

/**
 * Whether a server dry run refused a Backend only for namespaces this run deletes before it: the real run would
 * delete those first, so the dry run should not fail it. The control plane names each binding namespace in a detail.
 */
function boundOnlyBy(err: PrismError, namespaces: Set<string>): boolean {
  if (err.code !== 'FAILED_PRECONDITION' || err.problems.length === 0) return false
  return err.problems.every((p) => {
    const binder = /^namespace\/(\S+): binds backend /.exec(p.message)?.[1]
    return binder !== undefined && namespaces.has(binder)
  })
}

/** The outcome of one delete; undefined for one that was not there, under --ignore-not-found. */
async function deleteOutcome(admin: AdminClient, doc: SourceDoc, options: DeleteFilesOptions, namespacesDeleted: Set<string>): Promise<Outcome | undefined> {
  const base = {kind: doc.kind, name: doc.message.name, source: describeSource(doc)}
  const dryRun = options.dryRun === 'server'
  try {
    try {
      await deleteCall(admin, doc.kind, doc.message.name, {dryRun})
    } catch (err) {
      if (!(dryRun && doc.kind === 'Backend' && err instanceof PrismError && boundOnlyBy(err, namespacesDeleted))) throw err
      await deleteCall(admin, doc.kind, doc.message.name, {dryRun, force: true})
    }
    return {...base, action: 'deleted'}
  } catch (err) {
    if (!(err instanceof PrismError)) throw err
    if (err.code === 'NOT_FOUND') return options.ignoreNotFound ? undefined : notFound(doc)
    return {...base, error: err}
  }
}
