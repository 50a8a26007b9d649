/**
 * Confirmation for destructive commands: a prompt on a terminal, `--yes` to skip it, and never a prompt without a
 * terminal (CI would hang), where the missing `--yes` is a usage error instead.
 */
import {PrismError, usageError} from '../errors.js'

export interface ConfirmOptions {
  yes?: boolean
  /** Whether a person can answer (stdin and stdout are terminals). */
  interactive?: boolean
}

/** Throws the usage error confirmDestructive would, before the work that leads to the question is done. */
export function assertCanConfirm(action: string, options: ConfirmOptions): void {
  if (options.yes) return
  const interactive = options.interactive ?? Boolean(process.stdin.isTTY && process.stdout.isTTY)
  if (!interactive) throw usageError(`refusing to ${action} without confirmation: there is no terminal to ask on`, 'Pass --yes to confirm.')
}

export async function confirmDestructive(question: string, action: string, options: ConfirmOptions): Promise<void> {
  if (options.yes) return
  assertCanConfirm(action, options)
  const {confirm} = await import('@inquirer/prompts')
  const accepted = await confirm({message: question, default: false})
  if (!accepted) throw new PrismError(`cancelled: did not ${action}`, {code: 'CANCELLED'})
}
