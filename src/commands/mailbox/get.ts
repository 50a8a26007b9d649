import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {namespaceArg, patternFlag, proxyConnectionOf, proxyFlags} from '../../cli/data-flags.js'
import {mailboxGet} from '../../data/mailbox.js'
import {renderEvent} from '../../ui/mailbox-events.js'

export default class MailboxGet extends BaseCommand<typeof MailboxGet> {
  static override summary = 'Show one stored message with its metadata and payload (exit 1 when the mailbox does not hold it)'
  static override description = 'The payload is shown whole, as text, or as base64 (and said so) when it is not UTF-8 text; --no-show-payload leaves it out.'
  static override examples = ['<%= config.bin %> mailbox get team-alpha 42', '<%= config.bin %> mailbox get team-alpha PRISM_team-alpha_2Eorders/7 -o json']
  static override args = {namespace: namespaceArg, id: Args.string({required: true, description: 'Message id (as publish printed it, or from mailbox query)'})}
  static override flags = {
    'show-payload': Flags.boolean({description: 'Include the payload', default: true, allowNo: true}),
    output: Flags.string({char: 'o', aliases: ['format'], options: ['table', 'json'], description: 'Output format: table (default) or json (--format works too, as upstream)'}),
    pattern: patternFlag,
    ...proxyFlags,
  }

  async run() {
    const format = this.outputFormat(this.flags.output)
    const event = await mailboxGet({...proxyConnectionOf(this.flags), namespace: this.args.namespace, pattern: this.flags.pattern}, this.args.id, this.flags['show-payload'])
    this.out(format === 'json' ? JSON.stringify(event, null, 2) : renderEvent(event))
    return event
  }
}
