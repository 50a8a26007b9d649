import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {kvTargetOf, namespaceArg, patternFlag, proxyFlags} from '../../cli/data-flags.js'
import {kvExists} from '../../data/kv.js'

export default class KvExists extends BaseCommand<typeof KvExists> {
  static override summary = 'Say whether a key exists: prints true (exit 0) or false (exit 1), like test(1)'
  static override examples = ['<%= config.bin %> kv exists team-alpha greeting && echo present']
  static override args = {namespace: namespaceArg, key: Args.string({required: true, description: 'Key'})}
  static override flags = {pattern: patternFlag, ...proxyFlags}

  async run() {
    const exists = await kvExists(kvTargetOf(this.args.namespace, this.flags), this.args.key)
    this.out(String(exists))
    if (!exists) process.exitCode = 1
    return {key: this.args.key, exists}
  }
}
