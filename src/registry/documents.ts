/**
 * Loads the documents of `-f FILE|DIR|-` for a write, diff or apply, and refuses to go on if anything is wrong
 * with any of them: every problem of every file is reported with file:line:col, and nothing is sent.
 */
import {PrismError, usageError} from '../errors.js'
import {formatProblem, parseDocuments, type Kind, type Problem, type SourceDoc} from '../model/documents.js'
import {readDocumentSources} from '../model/sources.js'
import {validateDocuments} from '../model/validate.js'

/** `ns.yaml` for a file's first document, `all.yaml (document 2)` for the others. */
export function describeSource(doc: SourceDoc): string {
  return doc.index === 0 ? doc.file : `${doc.file} (document ${doc.index + 1})`
}

export interface LoadOptions {
  kinds: Kind[]
  /** e.g. "prismctl namespace apply", for the wrong-kind message. */
  command: string
  stdin?: NodeJS.ReadableStream
}

export async function loadDocuments(files: string[], options: LoadOptions): Promise<SourceDoc[]> {
  if (files.length === 0) throw usageError(`${options.command} needs -f FILE (a file, a directory, or - for stdin)`)
  const sources = await readDocumentSources(files, options.stdin)
  const docs: SourceDoc[] = []
  const problems: Problem[] = []
  for (const source of sources) {
    const parsed = parseDocuments(source.bytes, source.file)
    docs.push(...parsed.docs)
    problems.push(...parsed.problems)
  }
  for (const doc of docs) {
    if (options.kinds.includes(doc.kind)) continue
    const pos = doc.locate('kind')
    problems.push({
      file: doc.file,
      line: pos?.line,
      column: pos?.column,
      path: 'kind',
      message: `"${options.command}" takes ${options.kinds.join(' and ')} documents, found a ${doc.kind}; apply files that mix kinds with "prismctl apply -f"`,
    })
  }
  problems.push(...validateDocuments(docs))
  if (problems.length > 0) {
    const fileCount = new Set(problems.map((p) => p.file)).size
    const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`
    throw new PrismError(fileCount === 1 ? `${problems[0]!.file}: ${count}; nothing was sent` : `${count} in ${fileCount} files; nothing was sent`, {
      code: 'INVALID_ARGUMENT',
      details: problems.map(formatProblem),
      hint: 'Fix the lines above and run the command again.',
    })
  }
  return docs
}
