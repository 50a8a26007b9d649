import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {useContext} from '../../config/contexts.js'

export default class ContextUse extends BaseCommand<typeof ContextUse> {
  static override summary = 'Switch the current context'
  static override args = {name: Args.string({required: true, description: 'Context name'})}

  async run() {
    useContext(this.args.name)
    this.out(`switched to context "${this.args.name}"`)
    return {currentContext: this.args.name}
  }
}
