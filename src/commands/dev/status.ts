import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {embeddedFlag} from '../../cli/dev-flags.js'
import {embeddedStatus} from '../../stack/embedded/lifecycle.js'
import {renderEnv, renderStatus} from '../../stack/render.js'

export default class DevStatus extends BaseCommand<typeof DevStatus> {
  static override summary = 'Show whether the local stack runs and each service answers, with endpoints and test users'
  static override description = 'Exit code 1 when the stack is not running or a service is unhealthy. -o env prints export PRISM_…= lines: eval "$(prismctl dev status -o env)".'
  static override examples = ['<%= config.bin %> dev status', '<%= config.bin %> dev status -o json', 'eval "$(<%= config.bin %> dev status -o env)"']
  static override flags = {
    embedded: embeddedFlag,
    output: Flags.string({char: 'o', description: 'Output format', options: ['table', 'json', 'env']}),
  }

  async run() {
    const format = this.outputFormat(this.flags.output as 'table' | 'json' | 'env' | undefined)
    const status = await embeddedStatus()
    if (!status.healthy) process.exitCode = 1
    if (format === 'json') {
      if (!this.jsonEnabled()) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`)
      return status
    }
    this.out(format === 'env' ? renderEnv(status) : renderStatus(status))
    return status
  }
}
