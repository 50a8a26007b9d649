import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {kvTargetOf, namespaceArg, patternFlag, proxyFlags} from '../../cli/data-flags.js'
import {kvExpire, kvTtl, ttlSeconds} from '../../data/kv.js'

export default class KvTtl extends BaseCommand<typeof KvTtl> {
  static override summary = 'Show the seconds left before a key expires (-1: never); with DURATION, set it'
  static override examples = ['<%= config.bin %> kv ttl team-alpha session:42', '<%= config.bin %> kv ttl team-alpha session:42 10m']
  static override args = {
    namespace: namespaceArg,
    key: Args.string({required: true, description: 'Key'}),
    duration: Args.string({description: 'New time to live, e.g. 30s, 10m, 1h'}),
  }
  static override flags = {pattern: patternFlag, ...proxyFlags}

  async run() {
    const target = kvTargetOf(this.args.namespace, this.flags)
    const set = ttlSeconds(this.args.duration)
    if (set !== undefined) await kvExpire(target, this.args.key, set)
    const ttl = await kvTtl(target, this.args.key)
    this.out(String(ttl))
    return {key: this.args.key, ttlSeconds: ttl}
  }
}
