import {BaseCommand} from '../../cli/base-command.js'
import {connectionFlags, connectionOf, dryRunFlag, requiredFileFlag} from '../../cli/registry-flags.js'
import {reportOutcomes, writeFiles, type DryRun} from '../../registry/write.js'

export default class NamespaceCreate extends BaseCommand<typeof NamespaceCreate> {
  static override summary = 'Create namespaces from YAML; fails if one already exists (use apply to update)'
  static override examples = ['<%= config.bin %> namespace create -f ns.yaml', '<%= config.bin %> namespace create -f ns.yaml --dry-run=server']
  static override flags = {file: requiredFileFlag, 'dry-run': dryRunFlag, ...connectionFlags}

  async run() {
    const dryRun = this.flags['dry-run'] as DryRun
    const outcomes = await writeFiles({
      files: this.flags.file,
      kinds: ['Namespace'],
      mode: 'create',
      dryRun,
      command: 'prismctl namespace create',
      connection: connectionOf(this.flags),
    })
    return reportOutcomes(outcomes, dryRun, (line) => this.out(line))
  }
}
