/**
 * `prismctl delete -f FILE…`: deletes the Namespaces and Backends the documents name, as kubectl's delete -f does.
 * Namespaces go first (they may bind the Backends deleted after them). Only kind and name matter, so a document that
 * breaks a rule can still be deleted; nothing is deleted when a file cannot be read. One confirmation covers them
 * all, asked once what exists is known; a document that fails does not stop the others.
 */
import type {AdminClient} from '../api/admin-client.js'
import {PrismError} from '../errors.js'
import {resourceRef, type Kind, type SourceDoc} from '../model/documents.js'
import {describeSource} from '../model/load.js'
import {assertCanConfirm, confirmDestructive} from './confirm.js'
import {withAdmin, type ConnectionOptions} from './connection.js'
import {findResource} from './read.js'
import {deleteCall} from './resources.js'
import {loadNamed} from './get-files.js'
import {sendEach, type DryRun, type Outcome, type WriteProgress, type WriteReport} from './write.js'

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

const label = (doc: SourceDoc) => resourceRef(doc.kind, doc.message.name)

export async function deleteFiles(options: DeleteFilesOptions): Promise<WriteReport> {
  const docs = await loadNamed(options.files, {recursive: options.recursive, outcome: 'nothing was deleted', purpose: 'delete'})
  const wanted = orderForDelete(docs)
  // kubectl's client dry run: what exists is reported as deleted (dry run), nothing is sent to be checked.
  const checkOnly = options.dryRun === 'client'
  const ask = options.dryRun === 'none' && !options.yes
  if (ask) assertCanConfirm(`delete ${wanted.length === 1 ? label(wanted[0]!) : 'the resources the files name'}`, {})
  return withAdmin(options.connection, async (admin) => {
    // Nobody is asked about what is not there, nor told of it only after answering: it is known first.
    let exists: Set<SourceDoc> | undefined
    if (ask || checkOnly) {
      exists = new Set()
      for (const doc of wanted) if (await findResource(admin, doc.kind, doc.message.name)) exists.add(doc)
      const names = wanted.filter((d) => exists!.has(d)).map(label)
      if (ask && names.length > 0) {
        const shown = names.length > 10 ? `${names.slice(0, 10).join(', ')} and ${names.length - 10} more` : names.join(', ')
        await confirmDestructive(`Delete ${shown}?`, `delete ${names.length === 1 ? names[0] : `${names.length} resources`}`, {})
      }
    }
    const namespacesDeleted = new Set<string>()
    return sendEach(wanted, options, async (doc) => {
      const outcome =
        exists && !exists.has(doc) ? (options.ignoreNotFound ? undefined : notFound(doc))
        : checkOnly ? {kind: doc.kind, name: doc.message.name, source: describeSource(doc), action: 'deleted' as const}
        : await deleteOutcome(admin, doc, options, namespacesDeleted)
      if (outcome?.action && doc.kind === 'Namespace') namespacesDeleted.add(doc.message.name)
      return outcome
    })
  })
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
