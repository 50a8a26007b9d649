import {BaseCommand} from '../../cli/base-command.js'
import {connectionFlags, connectionOf, dryRunFlag, expectedVersionFlag, requiredFileFlag} from '../../cli/registry-flags.js'
import {reportOutcomes, writeFiles, type DryRun} from '../../registry/write.js'

export default class NamespaceApply extends BaseCommand<typeof NamespaceApply> {
  static override summary = 'Create or update namespaces from YAML (prints created, configured or unchanged)'
  static override examples = [
    '<%= config.bin %> namespace apply -f ns.yaml',
    '<%= config.bin %> namespace apply -f namespaces/ --dry-run=server',
    'cat ns.yaml | <%= config.bin %> namespace apply -f -',
  ]
  static override flags = {file: requiredFileFlag, 'dry-run': dryRunFlag, 'expected-version': expectedVersionFlag, ...connectionFlags}

  async run() {
    const dryRun = this.flags['dry-run'] as DryRun
    const outcomes = await writeFiles({
      files: this.flags.file,
      kinds: ['Namespace'],
      mode: 'apply',
      dryRun,
      expectedVersion: this.flags['expected-version'],
      command: 'prismctl namespace apply',
      connection: connectionOf(this.flags),
    })
    return reportOutcomes(outcomes, dryRun, (line) => this.out(line))
  }
}
