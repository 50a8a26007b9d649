/**
 * Reads the files given with -f: paths, directories (every *.yaml, *.yml and *.json in name order; subdirectories
 * too with `recursive`, as kubectl's -R) and '-' for stdin. Files are read synchronously: a CLI has nothing else to do
 * meanwhile, and each asynchronous step is a round trip through libuv's thread pool (milliseconds on a busy machine).
 */
import {closeSync, fstatSync, openSync, readdirSync, readSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {PrismError} from '../errors.js'
import {MAX_FILE_BYTES} from './documents.js'

const STDIN_NAME = '<stdin>'
const CHUNK = 64 * 1024

function tooLarge(file: string, limit: number): PrismError {
  return new PrismError(`${file} is larger than ${limit / 1024 / 1024} MiB, the limit for one file`, {
    hint: 'Split it into several files (one resource per file works well) and pass them, or their directory, with -f.',
    code: 'INVALID_ARGUMENT',
  })
}

function unreadable(file: string, err: NodeJS.ErrnoException): PrismError {
  const why = err.code === 'ENOENT' ? 'no such file or directory' : err.code === 'EACCES' ? 'permission denied' : err.code === 'EISDIR' ? 'is a directory' : err.message
  return new PrismError(`cannot read ${file}: ${why}`, {hint: 'Check the path given with -f (use - for stdin).', code: 'INVALID_ARGUMENT', cause: err})
}

/**
 * The size limit is enforced while reading: a file or stream past it is refused before it is buffered whole, so a
 * 20 MB input costs at most the limit in memory.
 */
export interface ReadOptions {
  stdin?: NodeJS.ReadableStream
  /** Also read the subdirectories of a directory, at any depth. */
  recursive?: boolean
  limit?: number
}

const DOCUMENT_FILE = /\.(ya?ml|json)$/i

export async function readDocumentSources(paths: string[], options: ReadOptions = {}): Promise<{file: string; bytes: Uint8Array}[]> {
  // process.stdin only when '-' is read: touching it creates the stream.
  const {limit = MAX_FILE_BYTES} = options
  const out: {file: string; bytes: Uint8Array}[] = []
  for (const path of paths) {
    if (path === '-') {
      out.push({file: STDIN_NAME, bytes: await readStream(options.stdin ?? process.stdin, limit)})
      continue
    }
    let info
    try {
      info = statSync(path)
    } catch (err) {
      throw unreadable(path, err as NodeJS.ErrnoException)
    }
    if (info.isDirectory()) {
      const {files, subdirectories} = documentFiles(path, options.recursive ?? false)
      if (files.length === 0) {
        const hint = subdirectories > 0 && !options.recursive ? 'Its subdirectories are read only with -R (--recursive).' : 'Pass files with -f, or a directory that holds YAML or JSON documents.'
        throw new PrismError(`${path} has no .yaml, .yml or .json files`, {hint, code: 'INVALID_ARGUMENT'})
      }
      for (const file of files) out.push({file, bytes: readFileLimited(file, limit)})
    } else {
      out.push({file: path, bytes: readFileLimited(path, limit)})
    }
  }
  return out
}

/** The document files of a directory in name order, a subdirectory's where its name sorts; how many it skipped. */
function documentFiles(dir: string, recursive: boolean): {files: string[]; subdirectories: number} {
  let names: string[]
  try {
    names = readdirSync(dir).sort()
  } catch (err) {
    throw unreadable(dir, err as NodeJS.ErrnoException)
  }
  const files: string[] = []
  let subdirectories = 0
  for (const name of names) {
    const path = join(dir, name)
    // stat, not the directory entry's type: a symbolic link counts as what it points to.
    let info
    try {
      info = statSync(path)
    } catch {
      info = undefined
    }
    if (info?.isDirectory()) {
      subdirectories++
      if (recursive) files.push(...documentFiles(path, true).files)
    } else if (DOCUMENT_FILE.test(name)) {
      files.push(path)
    }
  }
  return {files, subdirectories}
}

function readFileLimited(file: string, limit: number): Uint8Array {
  let fd
  try {
    fd = openSync(file, 'r')
  } catch (err) {
    throw unreadable(file, err as NodeJS.ErrnoException)
  }
  try {
    const info = fstatSync(fd)
    if (info.isDirectory()) throw unreadable(file, Object.assign(new Error('is a directory'), {code: 'EISDIR'}))
    // Regular files announce their size; pipes and devices report 0, so keep counting while reading too.
    if (info.size > limit) throw tooLarge(file, limit)
    const chunks: Uint8Array[] = []
    let total = 0
    for (;;) {
      const buf = new Uint8Array(Math.min(CHUNK, limit + 1 - total))
      const bytesRead = readSync(fd, buf, 0, buf.length, null)
      if (bytesRead === 0) break
      total += bytesRead
      if (total > limit) throw tooLarge(file, limit)
      chunks.push(buf.subarray(0, bytesRead))
    }
    return Buffer.concat(chunks, total)
  } catch (err) {
    if (err instanceof PrismError) throw err
    throw unreadable(file, err as NodeJS.ErrnoException)
  } finally {
    closeSync(fd)
  }
}

async function readStream(stream: NodeJS.ReadableStream, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let total = 0
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array)
    total += bytes.length
    if (total > limit) {
      ;(stream as NodeJS.ReadableStream & {destroy?: () => void}).destroy?.()
      throw tooLarge(STDIN_NAME, limit)
    }
    chunks.push(bytes)
  }
  return Buffer.concat(chunks, total)
}
