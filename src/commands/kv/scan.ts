import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {kvTargetOf, namespaceArg, patternFlag, proxyFlags} from '../../cli/data-flags.js'
import {kvScan} from '../../data/kv.js'
import {showBytes} from '../../data/payload.js'
import {renderTable} from '../../ui/table.js'

const PREVIEW = 60

export default class KvScan extends BaseCommand<typeof KvScan> {
  static override summary = 'List the keys that start with PREFIX (and their values)'
  static override examples = ['<%= config.bin %> kv scan team-alpha session:', '<%= config.bin %> kv scan team-alpha "" -o name']
  static override args = {namespace: namespaceArg, prefix: Args.string({required: true, description: 'Key prefix ("" for every key)'})}
  static override flags = {
    limit: Flags.integer({min: 1, max: 10_000, description: 'At most this many keys (default 1000)'}),
    output: Flags.string({char: 'o', options: ['table', 'json', 'name'], description: 'Output format: table (default), json, or name (keys only)'}),
    pattern: patternFlag,
    ...proxyFlags,
  }

  async run() {
    const format = this.outputFormat(this.flags.output)
    const keysOnly = format === 'name'
    const entries = await kvScan(kvTargetOf(this.args.namespace, this.flags), this.args.prefix, {limit: this.flags.limit, keysOnly})
    const shown = entries.map((e) => ({key: e.key, ...(e.value === undefined ? {} : showBytes(e.value))}))
    const result = {namespace: this.args.namespace, prefix: this.args.prefix, entries: shown.map((e) => ('text' in e ? {key: e.key, value: e.text, encoding: e.encoding} : {key: e.key}))}
    if (format === 'name') this.out(shown.map((e) => e.key).join('\n'))
    else if (format === 'json') this.out(JSON.stringify(result, null, 2))
    else if (shown.length === 0) this.note(`no keys start with "${this.args.prefix}" in ${this.args.namespace}`)
    else {
      const cell = (e: (typeof shown)[number]) => ('text' in e && e.text !== undefined ? (e.encoding === 'base64' ? `base64:${e.text}` : e.text).replace(/\s+/g, ' ') : '')
      this.out(renderTable(['KEY', 'VALUE'], shown.map((e) => [e.key, truncate(cell(e))])))
    }
    return result
  }
}

function truncate(text: string): string {
  return text.length > PREVIEW ? `${text.slice(0, PREVIEW - 1)}…` : text
}
