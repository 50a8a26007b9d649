import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {embeddedFlag} from '../../cli/dev-flags.js'
import {followLog, tailLines} from '../../stack/embedded/logs.js'
import {embeddedPaths} from '../../stack/embedded/state.js'

export default class DevLogs extends BaseCommand<typeof DevLogs> {
  static override summary = "Print the local stack's log (lines prefixed by service: issuer, admin, proxy)"
  static override examples = ['<%= config.bin %> dev logs --tail 50', '<%= config.bin %> dev logs -f']
  static override enableJsonFlag = false
  static override flags = {
    embedded: embeddedFlag,
    follow: Flags.boolean({char: 'f', description: 'Keep printing new lines until Ctrl-C'}),
    tail: Flags.integer({description: 'Only the last N lines', min: 0}),
  }

  async run() {
    const {log} = embeddedPaths()
    const lines = tailLines(log, this.flags.tail ?? Number.POSITIVE_INFINITY)
    if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`)
    else if (!this.flags.follow) this.note(`No log yet (${log}). Start the stack with: prismctl dev up --embedded`)
    if (this.flags.follow) await followLog(log, (chunk) => process.stdout.write(chunk))
  }
}
