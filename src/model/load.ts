/**
 * The one way `-f FILE|DIR|-` inputs become documents, for the offline commands and the writes alike: every problem
 * of every file is collected first and reported together as file:line:col, so nothing is used while anything is wrong.
 */
import {PrismError, usageError} from '../errors.js'
import {formatProblem, parseDocuments, type Kind, type PartialDoc, type Problem, type SourceDoc} from './documents.js'
import {readDocumentSources} from './sources.js'
import {validateDocuments} from './validate.js'
import {count} from '../ui/count.js'

export interface LoadOptions {
  /** Documents of any other kind are problems. Default: every kind. */
  kinds?: Kind[]
  /** Completes the wrong-kind problem, after "expected a Namespace document, found Backend; ". */
  kindAdvice?: string
  /** false checks types only: `convert` must accept work in progress that breaks the rules. Default true. */
  rules?: boolean
  /** The error's hint. */
  hint: string
  /** Appended to the error's first line, e.g. "nothing was sent". */
  outcome?: string
  stdin?: NodeJS.ReadableStream
  /** -R: directories are read with their subdirectories. */
  recursive?: boolean
}

export interface Loaded {
  /** Every input file read, in order, including those that held no document. */
  sources: {file: string}[]
  docs: SourceDoc[]
}

/** `ns.yaml` for a file's first document, `all.yaml (document 2)` for the others, `list.json (item 3)` in a List. */
export function describeSource(doc: SourceDoc): string {
  const where = [doc.index === 0 ? '' : `document ${doc.index + 1}`, doc.item === undefined ? '' : `item ${doc.item + 1}`].filter(Boolean).join(', ')
  return where ? `${doc.file} (${where})` : doc.file
}

/** Reads, parses and checks every input; throws one PrismError listing every problem when anything is wrong. */
export async function loadDocuments(paths: string[], options: LoadOptions): Promise<Loaded> {
  if (paths.length === 0) throw usageError('no input to read', 'Give -f FILE (a file, a directory, or - for stdin).')
  const sources = await readDocumentSources(paths, {stdin: options.stdin, recursive: options.recursive})
  const docs: SourceDoc[] = []
  const partial: PartialDoc[] = []
  const problems: Problem[] = []
  for (const source of sources) {
    const parsed = parseDocuments(source.bytes, source.file)
    docs.push(...parsed.docs)
    partial.push(...parsed.partial)
    problems.push(...parsed.problems)
  }
  const {kinds} = options
  const wanted = kinds ? docs.filter((d) => kinds.includes(d.kind)) : docs
  for (const doc of kinds ? docs.filter((d) => !kinds.includes(d.kind)) : []) {
    const pos = doc.locate('kind')
    const message = `expected a ${kinds!.join(' or ')} document, found ${doc.kind}${options.kindAdvice ? `; ${options.kindAdvice}` : ''}`
    problems.push({file: doc.file, line: pos?.line, column: pos?.column, path: 'kind', message})
  }
  if (options.rules !== false) {
    problems.push(...validateDocuments(wanted))
    // Every problem at once: a document with schema problems is still checked against the rules, minus what would
    // only repeat a schema problem (a rule about a field that was unreadable).
    for (const {doc, problemPaths} of partial) {
      if (kinds && !kinds.includes(doc.kind)) continue
      problems.push(...validateDocuments([doc]).filter((v) => !problemPaths.some((p) => within(v.path ?? '', p))))
    }
  }
  if (problems.length > 0) throw problemsError(sortProblems(problems, sources), options)
  return {sources, docs}
}

/** Whether `path` is `parent` or below it (`a.b`, `a[0]` are below `a`). */
function within(path: string, parent: string): boolean {
  return path === parent || path.startsWith(`${parent}.`) || path.startsWith(`${parent}[`)
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

function problemsError(problems: Problem[], options: LoadOptions): PrismError {
  const files = new Set(problems.map((p) => p.file))
  const problemCount = count(problems.length, 'problem')
  const summary = files.size === 1 ? `${[...files][0]}: ${problemCount}` : `${problemCount} in ${files.size} files`
  return new PrismError(options.outcome ? `${summary}; ${options.outcome}` : summary, {
    hint: options.hint,
    code: 'INVALID_ARGUMENT',
    details: problems.length > MAX_LISTED ? [...problems.slice(0, MAX_LISTED), `… and ${problems.length - MAX_LISTED} more`] : problems,
    violations: problems.map((p) => ({field: p.path ?? '', description: formatProblem(p)})),
  })
}
