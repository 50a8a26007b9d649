import {Flags} from '@oclif/core'
import {stringify} from 'yaml'

import {BaseCommand} from '../../cli/base-command.js'
import {listContexts} from '../../config/contexts.js'
import {renderTable} from '../../ui/table.js'

export default class ContextList extends BaseCommand<typeof ContextList> {
  static override summary = 'List contexts, the built-in default included (* marks the current one)'
  // Not registry-flags' outputFlag: that module brings the protobuf descriptors, which this command never needs.
  static override flags = {
    output: Flags.string({char: 'o', options: ['table', 'name', 'json', 'yaml'], description: 'Output format (default: table); -o json prints what --json prints'}),
  }

  async run() {
    const format = this.outputFormat(this.flags.output)
    const result = listContexts()
    const rows = result.contexts
    if (format === 'name') for (const r of rows) this.out(r.name)
    else if (format === 'json') this.out(JSON.stringify(result, null, 2))
    else if (format === 'yaml') this.out(stringify(result).trimEnd())
    else this.out(renderTable(['CURRENT', 'NAME', 'ADMIN ENDPOINT', 'ISSUER'], rows.map((r) => [r.current ? '*' : '', r.stored ? r.name : `${r.name} (built in)`, r.adminEndpoint ?? '', r.issuer ?? ''])))
    return result
  }
}
