/**
 * `diff -f FILE`: what the control plane would store (a server dry-run apply) against what it stores now, both as
 * YAML without the server-owned status, as a unified diff per resource. Exit status follows kubectl: 0 equal,
 * 1 different, more for an error (cli/diff-command.ts sets them; a difference is not an error).
 */
import type {AdminClient} from '../api/admin-client.js'
import {PrismError} from '../errors.js'
import type {Kind, Resource, SourceDoc} from '../model/documents.js'
import {resourceRef, toYaml} from '../model/documents.js'
import {loadDocuments} from '../model/load.js'
import {withAdmin, type ConnectionOptions} from './connection.js'
import {unifiedDiff} from './line-diff.js'
import {findResource} from './read.js'
import {LOAD_HINT, locateViolations, orderForApply, writeResource} from './write.js'

export interface DiffItem {
  kind: Kind
  name: string
  /** True when the resource does not exist yet. */
  created: boolean
  changed: boolean
  diff: string
}

async function diffDocument(admin: AdminClient, doc: SourceDoc): Promise<DiffItem> {
  const name = doc.message.name
  const current = await findResource(admin, doc.kind, name)
  let merged: Resource | undefined
  let action: string
  try {
    ;({action, stored: merged} = await writeResource(admin, doc.kind, doc.message, {mode: 'apply', dryRun: 'server'}))
  } catch (err) {
    throw err instanceof PrismError ? locateViolations(err, doc) : err
  }
  const path = resourceRef(doc.kind, name)
  const before = current ? toYaml(doc.kind, current, {includeStatus: false}) : ''
  const after = toYaml(doc.kind, merged ?? doc.message, {includeStatus: false})
  let diff = unifiedDiff(before, after, {from: `live/${path}`, to: `merged/${path}`})
  // Both sides show static credentials as REDACTED, so a changed secret alone leaves no line to show: the server's
  // dry-run verdict decides.
  if (diff === '' && action === 'configured') diff = `--- live/${path}\n+++ merged/${path}\n# only secret values differ (not shown)\n`
  return {kind: doc.kind, name, created: !current, changed: diff !== '', diff}
}

/** `command` (e.g. "prismctl namespace diff") takes only `kinds`; documents of another kind are problems. */
export async function diffFiles(files: string[], scope: {kinds: Kind[]; command: string; recursive?: boolean}, connection: ConnectionOptions): Promise<DiffItem[]> {
  const {docs} = await loadDocuments(files, {
    kinds: scope.kinds,
    kindAdvice: `"${scope.command}" takes only ${scope.kinds.join(' and ')} documents; compare files that mix kinds with "prismctl diff -f"`,
    hint: LOAD_HINT,
    outcome: 'nothing was compared',
    recursive: scope.recursive,
  })
  return withAdmin(connection, async (admin) => {
    const items: DiffItem[] = []
    for (const doc of orderForApply(docs)) items.push(await diffDocument(admin, doc))
    return items
  })
}
