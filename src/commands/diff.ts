import {DiffCommand} from '../cli/diff-command.js'

export default class Diff extends DiffCommand {
  static override summary = 'Show what apply -f would change for Backends and Namespaces, as a unified diff (exit 0: none, 1: changes, 3: error)'
  static override description =
    'Compares what the control plane would store (a server dry run of apply) with what it stores now, both as YAML without status; Backends first, as apply sends them.'
  static override examples = ['<%= config.bin %> diff -f stack/', '<%= config.bin %> diff -f ns.yaml; echo $?    # 0: no changes, 1: changes, 3: error']
  protected readonly kinds = ['Backend' as const, 'Namespace' as const]
}
