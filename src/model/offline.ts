/** The offline commands' logic: `validate` (and its namespace/backend forms) and `convert`. */
import {writeFileAtomic} from '../config/files.js'
import {PrismError, usageError} from '../errors.js'
import {decodeBinary, encodeBinary, formatProblem, parseDocuments, toJsonObject, toYaml} from './documents.js'
import type {Kind, Problem, Resource, SourceDoc} from './documents.js'
import {readDocumentSources} from './sources.js'
import {validateDocuments} from './validate.js'

export interface CheckReport {
  valid: true
  files: {file: string; documents: number}[]
  documents: {file: string; index: number; kind: Kind; name: string}[]
  problems: Problem[]
}

/** Parses and loads every input, collecting all problems of all files. */
async function load(paths: string[], stdin?: NodeJS.ReadableStream): Promise<{sources: {file: string}[]; docs: SourceDoc[]; problems: Problem[]}> {
  const sources = await readDocumentSources(paths, stdin)
  const docs: SourceDoc[] = []
  const problems: Problem[] = []
  for (const s of sources) {
    const r = parseDocuments(s.bytes, s.file)
    docs.push(...r.docs)
    problems.push(...r.problems)
  }
  return {sources, docs, problems}
}

/** In input order, then by line and column: the order a reader fixes them in. */
function sortProblems(problems: Problem[], sources: {file: string}[]): Problem[] {
  const order = new Map(sources.map((s, i) => [s.file, i]))
  return problems
    .map((p, i) => ({p, i}))
    .sort((a, b) => (order.get(a.p.file) ?? 0) - (order.get(b.p.file) ?? 0) || (a.p.line ?? 0) - (b.p.line ?? 0) || (a.p.column ?? 0) - (b.p.column ?? 0) || a.i - b.i)
    .map((x) => x.p)
}

/** More than this many lines helps nobody; the count in the message still says how many there are. */
const MAX_LISTED = 100

function problemsError(problems: Problem[], hint: string): PrismError {
  const files = new Set(problems.map((p) => p.file))
  const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`
  return new PrismError(files.size === 1 ? `${[...files][0]}: ${count}` : `${count} in ${files.size} files`, {
    hint,
    code: 'INVALID_ARGUMENT',
    details: problems.length > MAX_LISTED ? [...problems.slice(0, MAX_LISTED).map(formatProblem), `… and ${problems.length - MAX_LISTED} more`] : problems.map(formatProblem),
    violations: problems.map((p) => ({field: p.path ?? '', description: formatProblem(p)})),
  })
}

const VALIDATE_HINT = 'Fix the lines above. Documents are the proto3 JSON form of proto/prism/admin/v1/resources.proto plus kind:; templates/examples/ has complete ones.'

/**
 * Imports and validates every document; with `kind`, documents of the other kind are problems too. Throws a
 * PrismError listing every problem ("file:line:col: path: message") when anything is wrong.
 */
export async function checkFiles(paths: string[], opts: {kind?: Kind; stdin?: NodeJS.ReadableStream} = {}): Promise<CheckReport> {
  const {sources, docs, problems} = await load(paths, opts.stdin)
  const wanted = opts.kind ? docs.filter((d) => d.kind === opts.kind) : docs
  if (opts.kind) {
    const command = opts.kind === 'Namespace' ? 'backend' : 'namespace'
    for (const d of docs) {
      if (d.kind === opts.kind) continue
      const pos = d.locate('kind')
      problems.push({file: d.file, line: pos?.line, column: pos?.column, path: 'kind', message: `expected a ${opts.kind} document, found ${d.kind}; check it with "prismctl ${command} validate", or mixed files with "prismctl validate"`})
    }
  }
  problems.push(...validateDocuments(wanted))
  if (problems.length) throw problemsError(sortProblems(problems, sources), VALIDATE_HINT)
  return {
    valid: true,
    files: sources.map((s) => ({file: s.file, documents: docs.filter((d) => d.file === s.file).length})),
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
    const [source] = await readDocumentSources([opts.file], opts.stdin)
    items = [{kind: opts.kind, message: decodeBinary(opts.kind, source!.bytes)}]
  } else {
    const {docs, problems} = await load([opts.file], opts.stdin)
    if (problems.length) throw problemsError(problems, 'Fix the lines above, then convert again; "prismctl validate -f FILE" checks the rules too.')
    items = docs
  }
  const documents = items.map((d) => ({kind: d.kind, name: d.message.name}))
  switch (opts.to) {
    case 'yaml':
      return {documents, data: items.map((d) => toYaml(d.kind, d.message, {includeStatus: true})).join('---\n')}
    case 'json': {
      const objects = items.map((d) => toJsonObject(d.kind, d.message))
      return {documents, data: `${JSON.stringify(objects.length === 1 ? objects[0] : objects, null, 2)}\n`}
    }
    case 'binpb':
      if (items.length !== 1) {
        throw new PrismError(`${opts.file} holds ${items.length} documents, but binary protobuf holds exactly one message`, {
          hint: 'Split the file into one document per file and convert each, or convert to yaml or json.',
          code: 'INVALID_ARGUMENT',
        })
      }
      return {documents, data: encodeBinary(items[0]!.kind, items[0]!.message)}
  }
}

/** Writes a conversion result to a user-chosen path, atomically, readable like any file the user creates. */
export function writeOutput(path: string, data: string | Uint8Array): void {
  try {
    writeFileAtomic(path, data, 0o644, {privateDir: false})
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const why = e.code === 'ENOENT' ? 'its directory does not exist' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'it is a directory' : e.message
    throw new PrismError(`cannot write ${path}: ${why}`, {hint: 'Choose another path with --out.', code: 'INVALID_ARGUMENT', cause: err})
  }
}

/** The lines `validate` prints for a clean run: "✓ ns.yaml: 2 documents valid". */
export function reportLines(report: CheckReport): string[] {
  return report.files.map((f) => `✓ ${f.file}: ${f.documents} document${f.documents === 1 ? '' : 's'} valid`)
}
