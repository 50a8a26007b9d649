import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {connectionFlags, connectionOf, dryRunFlag, expectedVersionFlag, yesFlag} from '../../cli/registry-flags.js'
import {deleteResource} from '../../registry/resources.js'
import {dryRunSuffix, type DryRun} from '../../registry/write.js'

export default class NamespaceDelete extends BaseCommand<typeof NamespaceDelete> {
  static override summary = 'Delete a namespace (asks first unless --yes)'
  static override examples = ['<%= config.bin %> namespace delete team-alpha', '<%= config.bin %> namespace delete team-alpha --yes --expected-version 4']
  static override args = {name: Args.string({required: true, description: 'Namespace name'})}
  static override flags = {yes: yesFlag, 'dry-run': dryRunFlag, 'expected-version': expectedVersionFlag, ...connectionFlags}

  async run() {
    const dryRun = this.flags['dry-run'] as DryRun
    await deleteResource('Namespace', this.args.name, {dryRun, yes: this.flags.yes, expectedVersion: this.flags['expected-version']}, connectionOf(this.flags))
    this.out(`namespace/${this.args.name} deleted${dryRunSuffix(dryRun)}`)
    return {kind: 'Namespace', name: this.args.name, result: 'deleted', dryRun}
  }
}
