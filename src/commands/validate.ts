import {ValidateCommand} from '../cli/validate-command.js'

export default class Validate extends ValidateCommand {
  static override summary = 'Check Namespace and Backend YAML offline: field names, types and the validation rules'
  static override examples = ['<%= config.bin %> validate ns.yaml', '<%= config.bin %> validate config/ -f extra.yaml', 'cat ns.yaml | <%= config.bin %> validate -f -']
  protected override readonly kind = undefined
}
