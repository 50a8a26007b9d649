import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {connectionFlags, connectionOf, dryRunFlag, recursiveFlag, requiredFileFlag, yesFlag} from '../cli/registry-flags.js'
import {writeProgress} from '../cli/write-progress.js'
import {deleteFiles} from '../registry/delete-files.js'
import {finishWrite, type DryRun} from '../registry/write.js'

export default class Delete extends BaseCommand<typeof Delete> {
  static override summary = 'Delete the Namespaces and Backends that files name (asks first unless --yes); Namespaces first'
  static override description =
    'Only each document\'s kind and name matter. What does not exist fails the command (exit 1) unless --ignore-not-found; a Backend that namespaces outside the files still bind is refused. One failing document does not stop the others.'
  static override examples = ['<%= config.bin %> delete -f stack/ --yes', '<%= config.bin %> delete -f ns.yaml --dry-run=server', '<%= config.bin %> delete -f stack/ --yes --ignore-not-found']
  static override flags = {
    file: requiredFileFlag,
    recursive: recursiveFlag,
    yes: yesFlag,
    'ignore-not-found': Flags.boolean({description: 'Pass over what does not exist instead of failing'}),
    'dry-run': dryRunFlag,
    ...connectionFlags,
  }

  async run() {
    const dryRun = this.flags['dry-run'] as DryRun
    const report = await deleteFiles({
      files: this.flags.file,
      recursive: this.flags.recursive,
      dryRun,
      yes: this.flags.yes,
      ignoreNotFound: this.flags['ignore-not-found'],
      connection: connectionOf(this.flags),
      ...writeProgress(dryRun, (line) => this.out(line), (line) => this.note(line)),
    })
    return finishWrite(report, dryRun, 'delete')
  }
}
