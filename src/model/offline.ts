/** The offline commands' logic: `validate` (and its namespace/backend forms) and `convert`. */
import {statSync} from 'node:fs'

import {writeFileAtomic} from '../config/files.js'
import {PrismError, usageError} from '../errors.js'
import {decodeBinary, encodeBinary, schemaFor, toJsonObject, toYaml} from './documents.js'
import type {Kind, Problem, Resource} from './documents.js'
import {loadDocuments} from './load.js'
import {holdsSecretValue} from './secret-fields.js'
import {readDocumentSources} from './sources.js'
import {count} from '../ui/count.js'

export interface CheckReport {
  valid: true
  files: {file: string; documents: number}[]
  documents: {file: string; index: number; kind: Kind; name: string}[]
  problems: Problem[]
}

const VALIDATE_HINT = 'Fix the problems listed. Documents are the proto3 JSON form of proto/prism/admin/v1/resources.proto plus kind:; templates/examples/ has complete ones.'

/**
 * Imports and validates every document; with `kind`, documents of the other kind are problems too. Throws a
 * PrismError listing every problem ("file:line:col: path: message") when anything is wrong.
 */
export async function checkFiles(paths: string[], opts: {kind?: Kind; stdin?: NodeJS.ReadableStream; recursive?: boolean} = {}): Promise<CheckReport> {
  const other = opts.kind === 'Namespace' ? 'backend' : 'namespace'
  const {sources, docs} = await loadDocuments(paths, {
    kinds: opts.kind && [opts.kind],
    kindAdvice: `check it with "prismctl ${other} validate", or mixed files with "prismctl validate"`,
    hint: VALIDATE_HINT,
    stdin: opts.stdin,
    recursive: opts.recursive,
  })
  const perFile = new Map<string, number>()
  for (const d of docs) perFile.set(d.file, (perFile.get(d.file) ?? 0) + 1)
  return {
    valid: true,
    files: sources.map((s) => ({file: s.file, documents: perFile.get(s.file) ?? 0})),
    documents: docs.map((d) => ({file: d.file, index: d.index, kind: d.kind, name: d.message.name})),
    problems: [],
  }
}

export type Format = 'yaml' | 'json' | 'binpb'

export interface ConvertOptions {
  file: string
  to: Format
  /** Default: binpb for *.binpb / *.pb, else yaml (JSON is YAML, so it reads either). */
  from?: Format
  /** Required for binary input: a binpb file does not say what it holds. */
  kind?: Kind
  stdin?: NodeJS.ReadableStream
}

export interface ConvertResult {
  data: string | Uint8Array
  documents: {kind: Kind; name: string}[]
  /** Static credentials are in the output (a file written with it is created private). */
  holdsSecrets: boolean
}

export function inputFormat(file: string, from?: Format): Format {
  return from ?? (/\.(binpb|pb)$/i.test(file) ? 'binpb' : 'yaml')
}

/**
 * Converts between YAML, proto3 JSON and binary protobuf, losslessly (status included). Only type-level problems
 * block a conversion; the validation rules are `validate`'s job, so that work in progress can still be converted.
 */
export async function convertFile(opts: ConvertOptions): Promise<ConvertResult> {
  const from = inputFormat(opts.file, opts.from)
  let items: {kind: Kind; message: Resource}[]
  if (from === 'binpb') {
    if (!opts.kind) throw usageError('--kind is required to read binary protobuf', 'Add --kind Namespace or --kind Backend.')
    const [source] = await readDocumentSources([opts.file], {stdin: opts.stdin})
    items = [{kind: opts.kind, message: decodeBinary(opts.kind, source!.bytes)}]
  } else {
    const hint = 'Fix the problems listed, then convert again; "prismctl validate -f FILE" checks the rules too.'
    items = (await loadDocuments([opts.file], {rules: false, hint, stdin: opts.stdin})).docs
  }
  const documents = items.map((d) => ({kind: d.kind, name: d.message.name}))
  const holdsSecrets = items.some((d) => holdsSecretValue(schemaFor(d.kind), d.message))
  switch (opts.to) {
    case 'yaml':
      return {documents, holdsSecrets, data: items.map((d) => toYaml(d.kind, d.message, {includeStatus: true})).join('---\n')}
    case 'json': {
      const objects = items.map((d) => toJsonObject(d.kind, d.message))
      return {documents, holdsSecrets, data: `${JSON.stringify(objects.length === 1 ? objects[0] : objects, null, 2)}\n`}
    }
    case 'binpb':
      if (items.length !== 1) {
        throw new PrismError(`${opts.file} holds ${items.length} documents, but binary protobuf holds exactly one message`, {
          hint: 'Split the file into one document per file and convert each, or convert to yaml or json.',
          code: 'INVALID_ARGUMENT',
        })
      }
      return {documents, holdsSecrets, data: encodeBinary(items[0]!.kind, items[0]!.message)}
  }
}

/**
 * Writes a conversion result to a user-chosen path, atomically. A file it replaces keeps its mode (a private one
 * stays private); a new one is readable like any file the user creates, or private when it holds static credentials.
 */
export function writeOutput(path: string, data: string | Uint8Array, holdsSecrets: boolean): void {
  const existing = statSync(path, {throwIfNoEntry: false})
  const mode = existing ? existing.mode & 0o777 : holdsSecrets ? 0o600 : 0o644
  try {
    writeFileAtomic(path, data, mode, {privateDir: false})
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const why = e.code === 'ENOENT' ? 'its directory does not exist' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'it is a directory' : e.message
    throw new PrismError(`cannot write ${path}: ${why}`, {hint: 'Choose another path with --out.', code: 'INVALID_ARGUMENT', cause: err})
  }
}

/** The lines `validate` prints for a clean run: "✓ ns.yaml: 2 documents valid". */
export function reportLines(report: CheckReport): string[] {
  return report.files.map((f) => `✓ ${f.file}: ${count(f.documents, 'document')} valid`)
}
