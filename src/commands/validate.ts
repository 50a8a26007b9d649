import {BaseCommand} from '../cli/base-command.js'
import {requiredFileFlag} from '../cli/registry-flags.js'
import {checkFiles, reportLines} from '../model/offline.js'

export default class Validate extends BaseCommand<typeof Validate> {
  static override summary = 'Check Namespace and Backend YAML offline: field names, types and the validation rules'
  static override description = 'Reports every problem at once as file:line:column: field: message, and exits 1 if there is any.'
  static override examples = ['<%= config.bin %> validate -f ns.yaml', '<%= config.bin %> validate -f config/ -f extra.yaml', 'cat ns.yaml | <%= config.bin %> validate -f -']
  static override flags = {file: requiredFileFlag}

  async run() {
    const report = await checkFiles(this.flags.file)
    for (const line of reportLines(report)) this.out(line)
    return report
  }
}
