import {DiffCommand} from '../../cli/diff-command.js'

export default class BackendDiff extends DiffCommand {
  static override summary = 'Show what backend documents would change, as a unified diff (exit 0: none, 1: changes, 3: error)'
  static override description =
    'Compares what the control plane would store (a server dry run of apply) with what it stores now, both as YAML without status. Namespace documents are refused: use "prismctl diff -f" for files that mix kinds.'
  static override examples = ['<%= config.bin %> backend diff -f backends.yaml']
  protected readonly kinds = ['Backend' as const]
}
