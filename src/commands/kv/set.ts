import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {kvTargetOf, namespaceArg, patternFlag, proxyFlags} from '../../cli/data-flags.js'
import {kvSet, ttlSeconds} from '../../data/kv.js'
import {readPayload} from '../../data/payload.js'
import {count} from '../../ui/count.js'

export default class KvSet extends BaseCommand<typeof KvSet> {
  static override summary = 'Store a value under a key'
  static override description = 'The value is the VALUE argument (UTF-8), the bytes of -f FILE, or standard input (-f -, or piped in when there is no VALUE).'
  static override examples = ['<%= config.bin %> kv set team-alpha greeting hello', '<%= config.bin %> kv set team-alpha session:42 --ttl 30m -f session.json', 'echo -n hi | <%= config.bin %> kv set team-alpha greeting']
  static override args = {namespace: namespaceArg, key: Args.string({required: true, description: 'Key'}), value: Args.string({description: 'Value (UTF-8 text)'})}
  static override flags = {
    file: Flags.string({char: 'f', description: 'Read the value from this file; - reads stdin'}),
    ttl: Flags.string({description: 'Expire after this long, e.g. 30s, 10m, 1h'}),
    pattern: patternFlag,
    ...proxyFlags,
  }

  async run() {
    const value = readPayload({inline: this.args.value, file: this.flags.file, stdinIsTty: Boolean(process.stdin.isTTY), name: 'VALUE'})
    const result = await kvSet(kvTargetOf(this.args.namespace, this.flags), this.args.key, value, ttlSeconds(this.flags.ttl))
    this.note(`stored ${result.key} (${count(result.bytes, 'byte')}${result.ttlSeconds ? `, expires in ${result.ttlSeconds}s` : ''})`)
    return result
  }
}
