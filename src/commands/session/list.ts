import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {proxyConnectionOf, proxyFlags} from '../../cli/data-flags.js'
import {listSessions, renderSessions, SESSION_FORMATS, type SessionFormat} from '../../data/sessions.js'

export default class SessionList extends BaseCommand<typeof SessionList> {
  static override summary = 'List the live sessions of session-aware patterns (an operator sees everyone\'s; others their own)'
  static override description = 'Sessions live in each namespace\'s session-manager session-store, so every proxy serving a namespace lists the same ones.'
  static override examples = ['<%= config.bin %> session list', '<%= config.bin %> session list --namespace team-alpha -o yaml']
  static override flags = {
    namespace: Flags.string({char: 'n', description: 'Only the sessions of this namespace'}),
    output: Flags.string({char: 'o', options: [...SESSION_FORMATS], description: 'Output format (default: table); -o json prints what --json prints'}),
    ...proxyFlags,
  }

  async run() {
    const format = this.outputFormat(this.flags.output as SessionFormat | undefined)
    const sessions = await listSessions(proxyConnectionOf(this.flags), this.flags.namespace)
    if (sessions.length === 0 && format === 'table') this.note('No sessions found.')
    else this.out(renderSessions(sessions, format))
    return {sessions}
  }
}
