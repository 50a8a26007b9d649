import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {connectionFlags, connectionOf, outputFlag} from '../../cli/registry-flags.js'
import {renderResources, resourcesJson, type OutputFormat} from '../../registry/output.js'
import {getResource} from '../../registry/resources.js'

export default class BackendGet extends BaseCommand<typeof BackendGet> {
  static override summary = 'Show one backend; -o yaml exports it in a form that apply -f accepts'
  static override examples = ['<%= config.bin %> backend get redis-dev -o yaml']
  static override args = {name: Args.string({required: true, description: 'Backend name'})}
  static override flags = {output: outputFlag, ...connectionFlags}

  async run() {
    const format = this.outputFormat(this.flags.output as OutputFormat | undefined)
    const backend = await getResource('Backend', this.args.name, connectionOf(this.flags))
    this.out(renderResources('Backend', [backend], format, {single: true}))
    return resourcesJson('Backend', [backend], {single: true})
  }
}
