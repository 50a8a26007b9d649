import {Args} from '@oclif/core'

import {backendFlagValues, backendTypeFlags} from '../../cli/backend-flags.js'
import {BaseCommand} from '../../cli/base-command.js'
import {connectionFlags, connectionOf, dryRunFlag, fileFlag, recursiveFlag} from '../../cli/registry-flags.js'
import {writeProgress} from '../../cli/write-progress.js'
import {registerBackend} from '../../registry/resources.js'
import {finishWrite, type DryRun} from '../../registry/write.js'

export default class BackendRegister extends BaseCommand<typeof BackendRegister> {
  static override summary = 'Register a backend in the global registry, from flags or from YAML (-f)'
  static override examples = [
    '<%= config.bin %> backend register redis-dev --type redis --address redis:6379 --interfaces keyvalue_basic,keyvalue_ttl',
    '<%= config.bin %> backend register kafka-dev --type kafka --brokers kafka:9092 --interfaces pubsub_basic',
    '<%= config.bin %> backend register -f backends.yaml',
  ]
  static override args = {name: Args.string({description: 'Backend name (not with -f)'})}
  static override flags = {file: fileFlag, recursive: recursiveFlag, ...backendTypeFlags, 'dry-run': dryRunFlag, ...connectionFlags}

  async run() {
    const dryRun = this.flags['dry-run'] as DryRun
    const report = await registerBackend({
      name: this.args.name,
      files: this.flags.file,
      recursive: this.flags.recursive,
      flags: backendFlagValues(this.flags),
      dryRun,
      connection: connectionOf(this.flags),
      progress: writeProgress(dryRun, (line) => this.out(line), (line) => this.note(line)),
    })
    return finishWrite(report, dryRun, 'create')
  }
}
