import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {deleteContext} from '../../config/contexts.js'

export default class ContextDelete extends BaseCommand<typeof ContextDelete> {
  static override summary = 'Delete a context from config.yaml (stored tokens are kept; use logout to remove them)'
  static override args = {name: Args.string({required: true, description: 'Context name'})}

  async run() {
    deleteContext(this.args.name)
    this.out(`context "${this.args.name}" deleted`)
    return {deleted: this.args.name}
  }
}
