import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {kvTargetOf, namespaceArg, patternFlag, proxyFlags} from '../../cli/data-flags.js'
import {kvCapabilities} from '../../data/kv.js'
import {stringify} from 'yaml'

export default class KvCapabilities extends BaseCommand<typeof KvCapabilities> {
  static override summary = "What the namespace's keyvalue pattern can do on its backend (TTL, scan, batches, limits)"
  static override examples = ['<%= config.bin %> kv capabilities team-alpha']
  static override args = {namespace: namespaceArg}
  static override flags = {
    output: Flags.string({char: 'o', options: ['table', 'json', 'yaml'], description: 'Output format (default: table)'}),
    pattern: patternFlag,
    ...proxyFlags,
  }

  async run() {
    const format = this.outputFormat(this.flags.output)
    const c = await kvCapabilities(kvTargetOf(this.args.namespace, this.flags))
    if (format === 'json') this.out(JSON.stringify(c, null, 2))
    else if (format === 'yaml') this.out(stringify(c).trimEnd())
    else {
      const yes = (b: boolean) => (b ? 'yes' : 'no')
      this.out(
        [
          `pattern:       ${c.pattern} on backend ${c.backend} (${c.backendType})`,
          `expiration:    ${yes(c.expiration)}`,
          `scan:          ${c.scan}`,
          `batch:         ${c.batch}`,
          `transactions:  ${yes(c.transactions)}`,
          `limits:        key ${c.limits.keyBytes} bytes, value ${c.limits.valueBytes} bytes, batch ${c.limits.batchEntries} entries`,
        ].join('\n'),
      )
    }
    return c
  }
}
