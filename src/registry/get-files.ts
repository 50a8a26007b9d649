/**
 * `prismctl get -f FILE…`: what the control plane stores now for each Namespace and Backend the documents name, as
 * kubectl's get -f shows the live objects of a manifest. Only kind and name matter; files are read in full first.
 */
import {PrismError, usageError} from '../errors.js'
import {resourceRef, type Kind, type Resource, type SourceDoc} from '../model/documents.js'
import {describeSource, loadDocuments} from '../model/load.js'
import {withAdmin, type ConnectionOptions} from './connection.js'
import {findResource} from './read.js'
import {LOAD_HINT} from './write.js'

export interface Found {
  kind: Kind
  resource: Resource<Kind>
}

export interface GetFilesResult {
  /** How many resources the files name. */
  named: number
  /** In file order, each resource once. */
  found: Found[]
  /** The ones the files name that do not exist (`kind/name`). */
  missing: string[]
}

/**
 * The documents of files read for their kind and name only (get -f, delete -f): each resource once, in file order.
 * Nothing is sent when a file cannot be read or a document has no name.
 */
export async function loadNamed(files: string[], options: {recursive?: boolean; outcome?: string; purpose: string}): Promise<SourceDoc[]> {
  const {docs} = await loadDocuments(files, {kinds: ['Backend', 'Namespace'], rules: false, hint: LOAD_HINT, outcome: options.outcome, recursive: options.recursive})
  const unnamed = docs.filter((d) => !d.message.name)
  if (unnamed.length > 0) throw usageError(`${unnamed.map(describeSource).join(', ')}: a document without a name${options.outcome ? `; ${options.outcome}` : ''}`, `Every document needs the name of what to ${options.purpose}.`)
  const seen = new Set<string>()
  return docs.filter((d) => {
    const key = `${d.kind}/${d.message.name}`
    return !seen.has(key) && seen.add(key)
  })
}

export async function getFiles(options: {files: string[]; recursive?: boolean; connection: ConnectionOptions}): Promise<GetFilesResult> {
  const wanted = await loadNamed(options.files, {recursive: options.recursive, purpose: 'show'})
  return withAdmin(options.connection, async (admin) => {
    const result: GetFilesResult = {named: wanted.length, found: [], missing: []}
    for (const doc of wanted) {
      const resource = await findResource(admin, doc.kind, doc.message.name)
      if (resource) result.found.push({kind: doc.kind, resource})
      else result.missing.push(resourceRef(doc.kind, doc.message.name))
    }
    return result
  })
}

/** The error for what the files name and the control plane does not have (shown after what it has). */
export function missingError(missing: string[]): PrismError {
  return new PrismError(`${missing.length === 1 ? missing[0] : `${missing.length} resources`} not found`, {
    code: 'NOT_FOUND',
    details: missing.length > 1 ? missing : [],
    hint: 'Apply the files first (prismctl apply -f), or pass --ignore-not-found.',
  })
}
