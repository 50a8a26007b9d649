/** Bytes in and out of the data commands: where a value comes from, and how bytes are shown where text is expected. */
import {readFileSync} from 'node:fs'

import {PrismError, usageError} from '../errors.js'

export interface PayloadSource {
  /** The positional argument, taken as UTF-8 text. */
  inline?: string
  /** -f FILE; "-" is stdin. */
  file?: string
  /** Whether stdin is a terminal (then it is never read implicitly). */
  stdinIsTty: boolean
  /** What the argument is called in messages, e.g. VALUE or DATA. */
  name: string
}

/** One source only: the argument, -f FILE, -f - or piped stdin when neither is given. */
export function readPayload(source: PayloadSource, readStdin: () => Buffer = () => readFileSync(0)): Uint8Array {
  if (source.inline !== undefined && source.file !== undefined) throw usageError(`give ${source.name} or -f FILE, not both`)
  if (source.inline !== undefined) return Buffer.from(source.inline, 'utf8')
  if (source.file === '-' || (source.file === undefined && !source.stdinIsTty)) return readStdin()
  if (source.file !== undefined) {
    try {
      return readFileSync(source.file)
    } catch (err) {
      throw new PrismError(`cannot read ${source.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {hint: 'Check the path given with -f.'})
    }
  }
  throw usageError(`${source.name} is missing`, `Give it as an argument, with -f FILE, or on stdin (-f -).`)
}

/** Text when the bytes are valid UTF-8 without control characters (other than tab and newlines), else base64. */
export function showBytes(bytes: Uint8Array): {text: string; encoding: 'utf8' | 'base64'} {
  const buffer = Buffer.from(bytes)
  const text = buffer.toString('utf8')
  const printable = Buffer.from(text, 'utf8').equals(buffer) && !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)
  return printable ? {text, encoding: 'utf8'} : {text: buffer.toString('base64'), encoding: 'base64'}
}
