import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {connectionFlags, connectionOf, limitFlag, outputFlag, selectorFlag} from '../../cli/registry-flags.js'
import {BACKEND_TYPE_NAMES} from '../../registry/backend-flags.js'
import {renderResources, resourcesJson, type OutputFormat} from '../../registry/output.js'
import {listResources} from '../../registry/resources.js'

export default class BackendList extends BaseCommand<typeof BackendList> {
  static override summary = 'List registered backends (every page, unless --limit)'
  static override examples = ['<%= config.bin %> backend list --type redis', '<%= config.bin %> backend list -o name', '<%= config.bin %> backend list -l env=dev']
  static override flags = {
    type: Flags.string({description: 'Only backends of this type', options: BACKEND_TYPE_NAMES}),
    selector: selectorFlag,
    limit: limitFlag,
    output: outputFlag,
    ...connectionFlags,
  }

  async run() {
    const f = this.flags
    const format = this.outputFormat(f.output as OutputFormat | undefined)
    const backends = await listResources('Backend', {type: f.type, selectors: f.selector, limit: f.limit}, connectionOf(f))
    const text = renderResources('Backend', backends, format)
    if (backends.length === 0 && format === 'table') this.note('No backends found.')
    else if (text) this.out(text)
    return resourcesJson('Backend', backends)
  }
}
