import {BaseCommand} from '../../cli/base-command.js'
import {requiredFileFlag} from '../../cli/registry-flags.js'
import {checkFiles, reportLines} from '../../model/offline.js'

export default class BackendValidate extends BaseCommand<typeof BackendValidate> {
  static override summary = 'Check Backend YAML offline; documents of any other kind are errors'
  static override description = 'Reports every problem at once as file:line:column: field: message, and exits 1 if there is any.'
  static override examples = ['<%= config.bin %> backend validate -f backend.yaml', 'cat backend.yaml | <%= config.bin %> backend validate -f -']
  static override flags = {file: requiredFileFlag}

  async run() {
    const report = await checkFiles(this.flags.file, {kind: 'Backend'})
    for (const line of reportLines(report)) this.out(line)
    return report
  }
}
