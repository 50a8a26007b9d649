import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {proxyConnectionOf, proxyFlags} from '../../cli/data-flags.js'
import {getSession, renderSessions, SESSION_FORMATS, type SessionFormat} from '../../data/sessions.js'

export default class SessionGet extends BaseCommand<typeof SessionGet> {
  static override summary = 'Show one session (your own, or anyone\'s with the operator role)'
  static override examples = ['<%= config.bin %> session get 3f2a… -o yaml']
  static override args = {id: Args.string({required: true, description: 'Session id (the ID column of session list)'})}
  static override flags = {
    namespace: Flags.string({char: 'n', description: 'Look only in this namespace'}),
    output: Flags.string({char: 'o', options: [...SESSION_FORMATS], description: 'Output format (default: table); -o json prints what --json prints'}),
    ...proxyFlags,
  }

  async run() {
    const format = this.outputFormat(this.flags.output as SessionFormat | undefined)
    const session = await getSession(proxyConnectionOf(this.flags), this.args.id, this.flags.namespace)
    this.out(renderSessions([session], format, {single: true}))
    return session
  }
}
