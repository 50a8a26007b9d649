import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {kvTargetOf, namespaceArg, patternFlag, proxyFlags} from '../../cli/data-flags.js'
import {kvDelete} from '../../data/kv.js'

export default class KvDelete extends BaseCommand<typeof KvDelete> {
  static override summary = 'Delete a key (exit 1 when there is none, unless --ignore-not-found)'
  static override examples = ['<%= config.bin %> kv delete team-alpha greeting']
  static override args = {namespace: namespaceArg, key: Args.string({required: true, description: 'Key'})}
  static override flags = {'ignore-not-found': Flags.boolean({description: 'Succeed when the key does not exist'}), pattern: patternFlag, ...proxyFlags}

  async run() {
    const result = await kvDelete(kvTargetOf(this.args.namespace, this.flags), this.args.key, this.flags['ignore-not-found'])
    this.out(result.deleted ? `deleted ${result.key}` : `${result.key} did not exist`)
    return result
  }
}
