import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {connectionFlags, connectionOf, outputFlag} from '../../cli/registry-flags.js'
import {toJsonObject} from '../../model/documents.js'
import {renderResources, type OutputFormat} from '../../registry/output.js'
import {getResource} from '../../registry/resources.js'

export default class NamespaceGet extends BaseCommand<typeof NamespaceGet> {
  static override summary = 'Show one namespace; -o yaml exports it in a form that apply -f accepts'
  static override examples = ['<%= config.bin %> namespace get team-alpha', '<%= config.bin %> namespace get team-alpha -o yaml > ns.yaml']
  static override args = {name: Args.string({required: true, description: 'Namespace name'})}
  static override flags = {output: outputFlag, ...connectionFlags}

  async run() {
    const namespace = await getResource('Namespace', this.args.name, connectionOf(this.flags))
    this.out(renderResources('Namespace', [namespace], this.flags.output as OutputFormat, {single: true}))
    return toJsonObject('Namespace', namespace)
  }
}
