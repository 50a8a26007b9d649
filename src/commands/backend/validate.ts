import {ValidateCommand} from '../../cli/validate-command.js'

export default class BackendValidate extends ValidateCommand {
  static override summary = 'Check Backend YAML offline; documents of any other kind are errors'
  static override examples = ['<%= config.bin %> backend validate -f backend.yaml', 'cat backend.yaml | <%= config.bin %> backend validate -f -']
  protected override readonly kind = 'Backend'
}
