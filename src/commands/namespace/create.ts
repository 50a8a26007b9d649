import {BaseCommand} from '../../cli/base-command.js'
import {connectionFlags, connectionOf, dryRunFlag, recursiveFlag, requiredFileFlag} from '../../cli/registry-flags.js'
import {writeProgress} from '../../cli/write-progress.js'
import {finishWrite, writeFiles, type DryRun} from '../../registry/write.js'

export default class NamespaceCreate extends BaseCommand<typeof NamespaceCreate> {
  static override summary = 'Create namespaces from YAML; fails if one already exists (use apply to update)'
  static override examples = ['<%= config.bin %> namespace create -f ns.yaml', '<%= config.bin %> namespace create -f ns.yaml --dry-run=server']
  static override flags = {file: requiredFileFlag, recursive: recursiveFlag, 'dry-run': dryRunFlag, ...connectionFlags}

  async run() {
    const dryRun = this.flags['dry-run'] as DryRun
    const report = await writeFiles({
      files: this.flags.file,
      recursive: this.flags.recursive,
      kinds: ['Namespace'],
      mode: 'create',
      dryRun,
      command: 'prismctl namespace create',
      connection: connectionOf(this.flags),
      ...writeProgress(dryRun, (line) => this.out(line), (line) => this.note(line)),
    })
    return finishWrite(report, dryRun, 'create')
  }
}
