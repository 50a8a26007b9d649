import {BaseCommand} from '../cli/base-command.js'
import {connectionFlags, connectionOf, dryRunFlag, expectedVersionFlag, recursiveFlag, requiredFileFlag} from '../cli/registry-flags.js'
import {writeProgress} from '../cli/write-progress.js'
import {finishWrite, writeFiles, type DryRun} from '../registry/write.js'

export default class Apply extends BaseCommand<typeof Apply> {
  static override summary = 'Create or update Backends and Namespaces from YAML; Backends are applied first'
  static override description =
    'Every document is validated locally before anything is sent. If a document fails on the server, the others are still applied and the command exits 1 naming the ones that failed.'
  static override examples = ['<%= config.bin %> apply -f stack/', '<%= config.bin %> apply -f backends.yaml -f namespaces.yaml --dry-run=server']
  static override flags = {file: requiredFileFlag, recursive: recursiveFlag, 'dry-run': dryRunFlag, 'expected-version': expectedVersionFlag, ...connectionFlags}

  async run() {
    const dryRun = this.flags['dry-run'] as DryRun
    const report = await writeFiles({
      files: this.flags.file,
      recursive: this.flags.recursive,
      kinds: ['Backend', 'Namespace'],
      mode: 'apply',
      dryRun,
      expectedVersion: this.flags['expected-version'],
      command: 'prismctl apply',
      connection: connectionOf(this.flags),
      ...writeProgress(dryRun, (line) => this.out(line), (line) => this.note(line)),
    })
    return finishWrite(report, dryRun, 'apply')
  }
}
