import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {connectionFlags, connectionOf, dryRunFlag, expectedVersionFlag, yesFlag} from '../../cli/registry-flags.js'
import {deleteResource} from '../../registry/resources.js'
import {dryRunSuffix, type DryRun} from '../../registry/write.js'

export default class BackendDelete extends BaseCommand<typeof BackendDelete> {
  static override summary = 'Delete a backend (asks first unless --yes); refused while namespaces bind it, unless --force'
  static override examples = ['<%= config.bin %> backend delete redis-dev --yes', '<%= config.bin %> backend delete redis-dev --yes --force']
  static override args = {name: Args.string({required: true, description: 'Backend name'})}
  static override flags = {
    yes: yesFlag,
    force: Flags.boolean({description: 'Delete even when namespaces bind it (they stop working until re-bound)'}),
    'dry-run': dryRunFlag,
    'expected-version': expectedVersionFlag,
    ...connectionFlags,
  }

  async run() {
    const dryRun = this.flags['dry-run'] as DryRun
    await deleteResource(
      'Backend',
      this.args.name,
      {dryRun, yes: this.flags.yes, force: this.flags.force, expectedVersion: this.flags['expected-version']},
      connectionOf(this.flags),
    )
    this.out(`backend/${this.args.name} deleted${dryRunSuffix(dryRun)}`)
    return {kind: 'Backend', name: this.args.name, result: 'deleted', dryRun}
  }
}
