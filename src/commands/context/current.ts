import {BaseCommand} from '../../cli/base-command.js'
import {resolveContext} from '../../config/contexts.js'

export default class ContextCurrent extends BaseCommand<typeof ContextCurrent> {
  static override summary = 'Show the context in effect, after flags and PRISM_* variables'

  async run() {
    const ctx = resolveContext({context: this.flags.context})
    this.out(ctx.name)
    return ctx
  }
}
