import {BaseCommand} from '../../cli/base-command.js'
import {requiredFileFlag} from '../../cli/registry-flags.js'
import {checkFiles, reportLines} from '../../model/offline.js'

export default class NamespaceValidate extends BaseCommand<typeof NamespaceValidate> {
  static override summary = 'Check Namespace YAML offline; documents of any other kind are errors'
  static override description = 'Reports every problem at once as file:line:column: field: message, and exits 1 if there is any.'
  static override examples = ['<%= config.bin %> namespace validate -f namespace.yaml', 'cat namespace.yaml | <%= config.bin %> namespace validate -f -']
  static override flags = {file: requiredFileFlag}

  async run() {
    const report = await checkFiles(this.flags.file, {kind: 'Namespace'})
    for (const line of reportLines(report)) this.out(line)
    return report
  }
}
