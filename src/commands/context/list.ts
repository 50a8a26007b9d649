import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {readConfig} from '../../config/contexts.js'
import {renderTable} from '../../ui/table.js'

export default class ContextList extends BaseCommand<typeof ContextList> {
  static override summary = 'List contexts'
  static override flags = {output: Flags.string({char: 'o', options: ['table', 'name', 'json'], default: 'table', description: 'Output format'})}

  async run() {
    const config = readConfig()
    const rows = Object.entries(config.contexts).map(([name, s]) => ({current: name === config.currentContext, name, ...s}))
    if (this.flags.output === 'name') for (const r of rows) this.out(r.name)
    else if (this.flags.output === 'json') this.out(JSON.stringify(rows, null, 2))
    else this.out(renderTable(['CURRENT', 'NAME', 'ADMIN ENDPOINT', 'ISSUER'], rows.map((r) => [r.current ? '*' : '', r.name, r.adminEndpoint ?? '', r.issuer ?? ''])))
    return {currentContext: config.currentContext, contexts: rows}
  }
}
