import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {connectionFlags, connectionOf, outputFlag} from '../../cli/registry-flags.js'
import {renderResources, resourcesJson, type OutputFormat} from '../../registry/output.js'
import {getResource} from '../../registry/resources.js'

export default class NamespaceGet extends BaseCommand<typeof NamespaceGet> {
  static override summary = 'Show one namespace; -o yaml exports it in a form that apply -f accepts'
  static override examples = ['<%= config.bin %> namespace get team-alpha', '<%= config.bin %> namespace get team-alpha -o yaml > ns.yaml']
  static override args = {name: Args.string({required: true, description: 'Namespace name'})}
  static override flags = {output: outputFlag, ...connectionFlags}

  async run() {
    const format = this.outputFormat(this.flags.output as OutputFormat | undefined)
    const namespace = await getResource('Namespace', this.args.name, connectionOf(this.flags))
    this.out(renderResources('Namespace', [namespace], format, {single: true}))
    return resourcesJson('Namespace', [namespace], {single: true})
  }
}
