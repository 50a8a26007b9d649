import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {proxyConnectionOf, proxyFlags} from '../../cli/data-flags.js'
import {yesFlag} from '../../cli/registry-flags.js'
import {killSession} from '../../data/sessions.js'

export default class SessionKill extends BaseCommand<typeof SessionKill> {
  static override summary = 'End a session: its token is refused by every proxy until the caller logs in again (operator role; asks first unless --yes)'
  static override examples = ['<%= config.bin %> session kill 3f2a… --yes']
  static override args = {id: Args.string({required: true, description: 'Session id (the ID column of session list)'})}
  static override flags = {namespace: Flags.string({char: 'n', description: 'Look only in this namespace'}), yes: yesFlag, ...proxyFlags}

  async run() {
    const session = await killSession(proxyConnectionOf(this.flags), this.args.id, {namespace: this.flags.namespace, yes: this.flags.yes})
    this.out(`session ${session.id} of ${session.principal} in namespace ${session.namespace} killed`)
    return {killed: session}
  }
}
