import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {connectionFlags, connectionOf, limitFlag, outputFlag, selectorFlag} from '../../cli/registry-flags.js'
import {renderResources, resourcesJson, type OutputFormat} from '../../registry/output.js'
import {listResources} from '../../registry/resources.js'

export default class NamespaceList extends BaseCommand<typeof NamespaceList> {
  static override summary = 'List namespaces (every page, unless --limit)'
  static override examples = ['<%= config.bin %> namespace list --team payments', '<%= config.bin %> namespace list -l env=prod -o yaml', "<%= config.bin %> namespace list -l 'env in (dev,qa),!legacy'"]
  static override flags = {
    team: Flags.string({description: 'Only namespaces of this team'}),
    selector: selectorFlag,
    limit: limitFlag,
    output: outputFlag,
    ...connectionFlags,
  }

  async run() {
    const f = this.flags
    const format = this.outputFormat(f.output as OutputFormat | undefined)
    const namespaces = await listResources('Namespace', {team: f.team, selectors: f.selector, limit: f.limit}, connectionOf(f))
    const text = renderResources('Namespace', namespaces, format)
    if (namespaces.length === 0 && format === 'table') this.note('No namespaces found.')
    else if (text) this.out(text)
    return resourcesJson('Namespace', namespaces)
  }
}
