/**
 * The global output switches and the one way an error reaches the user, shared by BaseCommand and the
 * command_not_found hook (which runs without a command).
 */
import chalk from 'chalk'

import type {PrismError} from '../errors.js'
import {redact, redactJson, setDebug} from '../ui/debug.js'

/** --debug and colour, read from argv itself so that they apply before flag parsing, and even when it fails. */
export function applyOutputFlags(): void {
  if (process.argv.includes('--debug')) setDebug(true)
  if (process.argv.includes('--no-color') || process.env.NO_COLOR || !process.stdout.isTTY) chalk.level = 0
}

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
    const lines = [`${chalk.red('Error:')} ${redact(prism.message)}`, ...prism.details.map((d) => `  ${redact(d)}`)]
    if (prism.hint) lines.push(`${chalk.dim('Hint:')} ${prism.hint}`)
    process.stderr.write(`${lines.join('\n')}\n`)
  }
  if (process.argv.includes('--debug')) {
    const cause = (prism.cause ?? original ?? prism) as Error
    process.stderr.write(`${redact(cause.stack ?? String(cause))}\n`)
  }
}
