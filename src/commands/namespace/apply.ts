import {BaseCommand} from '../../cli/base-command.js'
import {connectionFlags, connectionOf, dryRunFlag, expectedVersionFlag, recursiveFlag, requiredFileFlag} from '../../cli/registry-flags.js'
import {writeProgress} from '../../cli/write-progress.js'
import {finishWrite, writeFiles, type DryRun} from '../../registry/write.js'

export default class NamespaceApply extends BaseCommand<typeof NamespaceApply> {
  static override summary = 'Create or update namespaces from YAML (prints created, configured or unchanged)'
  static override examples = [
    '<%= config.bin %> namespace apply -f ns.yaml',
    '<%= config.bin %> namespace apply -f namespaces/ --dry-run=server',
    'cat ns.yaml | <%= config.bin %> namespace apply -f -',
  ]
  static override flags = {file: requiredFileFlag, recursive: recursiveFlag, 'dry-run': dryRunFlag, 'expected-version': expectedVersionFlag, ...connectionFlags}

  async run() {
    const dryRun = this.flags['dry-run'] as DryRun
    const report = await writeFiles({
      files: this.flags.file,
      recursive: this.flags.recursive,
      kinds: ['Namespace'],
      mode: 'apply',
      dryRun,
      expectedVersion: this.flags['expected-version'],
      command: 'prismctl namespace apply',
      connection: connectionOf(this.flags),
      ...writeProgress(dryRun, (line) => this.out(line), (line) => this.note(line)),
    })
    return finishWrite(report, dryRun, 'apply')
  }
}
