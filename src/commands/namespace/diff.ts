import {BaseCommand} from '../../cli/base-command.js'
import {connectionFlags, connectionOf, requiredFileFlag} from '../../cli/registry-flags.js'
import {diffFiles} from '../../registry/diff.js'

export default class NamespaceDiff extends BaseCommand<typeof NamespaceDiff> {
  static override summary = 'Show what apply -f would change, as a unified diff (exit 0: no changes, 1: changes)'
  static override description =
    'Compares what the control plane would store (a server dry run of apply) with what it stores now, both as YAML without status. Backend documents in the files are compared too.'
  static override examples = ['<%= config.bin %> namespace diff -f ns.yaml']
  static override flags = {file: requiredFileFlag, ...connectionFlags}

  async run() {
    const items = await diffFiles(this.flags.file, connectionOf(this.flags))
    for (const item of items) if (item.changed) this.out(item.diff.trimEnd())
    // kubectl's convention: differences are a result, not an error, but scripts read them from the exit code.
    if (items.some((i) => i.changed)) process.exitCode = 1
    return {changed: items.some((i) => i.changed), items}
  }
}
