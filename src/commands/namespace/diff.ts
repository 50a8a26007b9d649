import {DiffCommand} from '../../cli/diff-command.js'

export default class NamespaceDiff extends DiffCommand {
  static override summary = 'Show what namespace apply -f would change, as a unified diff (exit 0: none, 1: changes, 3: error)'
  static override description =
    'Compares what the control plane would store (a server dry run of apply) with what it stores now, both as YAML without status. Backend documents are refused, as namespace apply refuses them: use "prismctl diff -f" for files that mix kinds.'
  static override examples = ['<%= config.bin %> namespace diff -f ns.yaml']
  protected readonly kinds = ['Namespace' as const]
}
