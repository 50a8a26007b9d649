import {Args} from '@oclif/core'

import {backendFlagValues, backendTypeFlags} from '../../cli/backend-flags.js'
import {BaseCommand} from '../../cli/base-command.js'
import {connectionFlags, connectionOf, dryRunFlag, fileFlag} from '../../cli/registry-flags.js'
import {registerBackend} from '../../registry/resources.js'
import {reportOutcomes, type DryRun} from '../../registry/write.js'

export default class BackendRegister extends BaseCommand<typeof BackendRegister> {
  static override summary = 'Register a backend in the global registry, from flags or from YAML (-f)'
  static override examples = [
    '<%= config.bin %> backend register redis-dev --type redis --address redis:6379 --interfaces keyvalue_basic,keyvalue_ttl',
    '<%= config.bin %> backend register kafka-dev --type kafka --brokers kafka:9092 --interfaces pubsub_basic',
    '<%= config.bin %> backend register -f backends.yaml',
  ]
  static override args = {name: Args.string({description: 'Backend name (not with -f)'})}
  static override flags = {file: fileFlag, ...backendTypeFlags, 'dry-run': dryRunFlag, ...connectionFlags}

  async run() {
    const dryRun = this.flags['dry-run'] as DryRun
    const outcomes = await registerBackend({
      name: this.args.name,
      files: this.flags.file,
      flags: backendFlagValues(this.flags),
      dryRun,
      connection: connectionOf(this.flags),
    })
    return reportOutcomes(outcomes, dryRun, (line) => this.out(line))
  }
}
