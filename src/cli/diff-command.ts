/**
 * `diff`, `namespace diff` and `backend diff`: the same comparison, held to the kinds each accepts. Exit codes follow
 * kubectl so that scripts can tell a difference from a failure: 0 no differences, 1 differences, 2 a usage error,
 * 3 any other error (unreachable server, unreadable file, invalid YAML).
 */
import type {Kind} from '../model/documents.js'
import {diffFiles} from '../registry/diff.js'
import {BaseCommand} from './base-command.js'
import {connectionFlags, connectionOf, recursiveFlag, requiredFileFlag} from './registry-flags.js'

export const DIFF_ERROR_EXIT = 3

export abstract class DiffCommand extends BaseCommand<typeof DiffCommand> {
  static override flags = {file: requiredFileFlag, recursive: recursiveFlag, ...connectionFlags}

  /** The kinds this command compares; others are refused before anything is sent. */
  protected abstract readonly kinds: Kind[]

  async run() {
    const command = `${this.config.bin} ${this.id?.replaceAll(':', ' ')}`
    const items = await diffFiles(this.flags.file, {kinds: this.kinds, command, recursive: this.flags.recursive}, connectionOf(this.flags))
    for (const item of items) if (item.changed) this.out(item.diff.trimEnd())
    // Differences are a result, not an error, but scripts read them from the exit code.
    if (items.some((i) => i.changed)) process.exitCode = 1
    return {changed: items.some((i) => i.changed), items}
  }

  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    const result = await super.catch(err)
    // 1 means "differences" here; every failure that is not a usage error becomes 3.
    if (process.exitCode === 1) process.exitCode = DIFF_ERROR_EXIT
    return result
  }
}
