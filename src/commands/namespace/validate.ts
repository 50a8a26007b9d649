import {ValidateCommand} from '../../cli/validate-command.js'

export default class NamespaceValidate extends ValidateCommand {
  static override summary = 'Check Namespace YAML offline; documents of any other kind are errors'
  static override examples = ['<%= config.bin %> namespace validate -f namespace.yaml', 'cat namespace.yaml | <%= config.bin %> namespace validate -f -']
  protected override readonly kind = 'Namespace'
}
