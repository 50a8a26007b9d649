import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {addressesEmbedded, embeddedFlag, stackFlag} from '../../cli/dev-flags.js'
import {checkStackName, DEFAULT_STACK} from '../../stack/docker/options.js'
import {renderEnv, renderStatus} from '../../stack/render.js'

export default class DevStatus extends BaseCommand<typeof DevStatus> {
  static override summary = 'Show whether the local stack runs and each service is healthy, with endpoints and test users'
  static override description = 'The Docker stack (containers found by label), or the embedded one with --embedded or while it runs. Exit code 1 when the stack is not running or a service is unhealthy. -o env prints export PRISM_…= lines: eval "$(prismctl dev status -o env)".'
  static override examples = ['<%= config.bin %> dev status', '<%= config.bin %> dev status -o json', 'eval "$(<%= config.bin %> dev status -o env)"']
  static override flags = {
    embedded: embeddedFlag,
    stack: stackFlag,
    output: Flags.string({char: 'o', description: 'Output format', options: ['table', 'json', 'env']}),
  }

  async run() {
    const format = this.outputFormat(this.flags.output as 'table' | 'json' | 'env' | undefined)
    const status = addressesEmbedded(this.flags)
      ? await (await import('../../stack/embedded/lifecycle.js')).embeddedStatus()
      : await (await import('../../stack/docker/status.js')).dockerStatus({stack: checkStackName(this.flags.stack ?? DEFAULT_STACK)})
    if (!status.healthy) process.exitCode = 1
    if (format === 'json') {
      if (!this.jsonEnabled()) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`)
      return status
    }
    this.out(format === 'env' ? renderEnv(status) : renderStatus(status))
    return status
  }
}
