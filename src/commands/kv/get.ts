import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {kvTargetOf, namespaceArg, patternFlag, proxyFlags} from '../../cli/data-flags.js'
import {kvGet} from '../../data/kv.js'
import {showBytes} from '../../data/payload.js'

export default class KvGet extends BaseCommand<typeof KvGet> {
  static override summary = 'Print the value stored under a key (exit 1 when there is none)'
  static override description = 'Writes the stored bytes exactly; on a terminal a newline is added when the value does not end with one. --json gives the value as text, or base64 when it is not text.'
  static override examples = ['<%= config.bin %> kv get team-alpha greeting', '<%= config.bin %> kv get team-alpha avatar > avatar.png']
  static override args = {namespace: namespaceArg, key: Args.string({required: true, description: 'Key'})}
  static override flags = {pattern: patternFlag, ...proxyFlags}

  async run() {
    const value = await kvGet(kvTargetOf(this.args.namespace, this.flags), this.args.key)
    if (!this.jsonEnabled()) {
      process.stdout.write(value)
      if (process.stdout.isTTY && value.length > 0 && value[value.length - 1] !== 0x0a) process.stdout.write('\n')
    }
    const shown = showBytes(value)
    return {key: this.args.key, value: shown.text, encoding: shown.encoding, bytes: value.length}
  }
}
