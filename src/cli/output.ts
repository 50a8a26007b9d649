/**
 * The global output switches and the one way an error reaches the user, shared by BaseCommand and the
 * command_not_found hook (which runs without a command).
 */
import type {PrismError} from '../errors.js'
import {redact, redactJson, setDebug} from '../ui/debug.js'

/** --debug, read from argv itself so that it applies before flag parsing, and even when that fails. */
export function applyOutputFlags(): void {
  if (process.argv.includes('--debug')) setDebug(true)
}

/**
 * Whether the error lines on stderr get colour: on a terminal, unless --no-color or NO_COLOR; FORCE_COLOR as the
 * usual tools read it. Asked only when an error is printed: looking at a stream creates it (and loads Node's tty,
 * net and stream modules, several ms of a start that prints nothing else there).
 */
function colourOnStderr(): boolean {
  if (process.argv.includes('--no-color') || process.env.NO_COLOR) return false
  const force = process.env.FORCE_COLOR
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false'
  return process.stderr.isTTY === true
}

const paint = (on: boolean, [open, close]: readonly [number, number], text: string) => (on ? `\u001B[${open}m${text}\u001B[${close}m` : text)
const RED = [31, 39] as const
const DIM = [2, 22] as const

/**
 * Sets the exit code and prints the error: the JSON envelope on stdout under --json (also when --json could not be
 * parsed), else `Error:` with details and `Hint:` on stderr; the stack of the cause only with --debug.
 */
export function reportError(prism: PrismError, json: boolean, original?: unknown): void {
  process.exitCode = prism.exitCode
  // Messages and details may carry user data: redacted. The hint is text we wrote (placeholders such as
  // postgres://user:PASSWORD@host included) and is shown as written.
  if (json || process.argv.includes('--json')) {
    // What was done before the failure comes first, in the shape the command has on success.
    const body = {...(redactJson(prism.result ?? {}) as object), error: {code: prism.code, message: redact(prism.message), hint: prism.hint, details: redactJson(prism.problems)}}
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`)
  } else {
    const colour = colourOnStderr()
    const lines = [`${paint(colour, RED, 'Error:')} ${redact(prism.message)}`, ...prism.details.map((d) => `  ${redact(d)}`)]
    if (prism.hint) lines.push(`${paint(colour, DIM, 'Hint:')} ${prism.hint}`)
    process.stderr.write(`${lines.join('\n')}\n`)
  }
  if (process.argv.includes('--debug')) {
    const cause = (prism.cause ?? original ?? prism) as Error
    process.stderr.write(`${redact(cause.stack ?? String(cause))}\n`)
  }
}
