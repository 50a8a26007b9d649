import {Args} from '@oclif/core'

import {backendFlagValues, backendTypeFlags} from '../../cli/backend-flags.js'
import {BaseCommand} from '../../cli/base-command.js'
import {connectionFlags, connectionOf, dryRunFlag, expectedVersionFlag, fileFlag, recursiveFlag} from '../../cli/registry-flags.js'
import {writeProgress} from '../../cli/write-progress.js'
import {updateBackend} from '../../registry/resources.js'
import {finishWrite, type DryRun} from '../../registry/write.js'

export default class BackendUpdate extends BaseCommand<typeof BackendUpdate> {
  static override summary = 'Change a registered backend: the flags given (others are kept), or replace it from YAML (-f)'
  static override description =
    'With flags, the backend is read, changed and written back guarded by the version read, so a concurrent change fails with a conflict instead of being lost.'
  static override examples = ['<%= config.bin %> backend update redis-dev --address redis-2:6379', '<%= config.bin %> backend update -f redis-dev.yaml --expected-version 3']
  static override args = {name: Args.string({description: 'Backend name (not with -f)'})}
  static override flags = {file: fileFlag, recursive: recursiveFlag, ...backendTypeFlags, 'dry-run': dryRunFlag, 'expected-version': expectedVersionFlag, ...connectionFlags}

  async run() {
    const dryRun = this.flags['dry-run'] as DryRun
    const report = await updateBackend({
      name: this.args.name,
      files: this.flags.file,
      recursive: this.flags.recursive,
      flags: backendFlagValues(this.flags),
      dryRun,
      expectedVersion: this.flags['expected-version'],
      connection: connectionOf(this.flags),
      progress: writeProgress(dryRun, (line) => this.out(line), (line) => this.note(line)),
    })
    return finishWrite(report, dryRun, 'update')
  }
}
