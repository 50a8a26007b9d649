import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {namespaceArg, patternFlag, proxyConnectionOf, proxyFlags} from '../../cli/data-flags.js'
import {mailboxQuery, parseTime} from '../../data/mailbox.js'
import {renderEventTable} from '../../ui/mailbox-events.js'

export default class MailboxQuery extends BaseCommand<typeof MailboxQuery> {
  static override summary = "List the messages a namespace's mailbox stored, newest first"
  static override description =
    'Filters combine: a time range, any of the topics (-t), any of the principals (-p), a correlation id. Times are RFC 3339, or a duration meaning that long ago (15m, 2h). --show-payload adds the payloads (base64, and said so, when they are not UTF-8 text).'
  static override examples = [
    '<%= config.bin %> mailbox query team-alpha',
    '<%= config.bin %> mailbox query team-alpha -t orders -p bob@example.com --start-time 1h --limit 50',
    '<%= config.bin %> mailbox query team-alpha --correlation-id req-42 --show-payload -o json',
  ]
  static override args = {namespace: namespaceArg}
  static override flags = {
    limit: Flags.integer({char: 'l', min: 1, max: 1000, default: 10, description: 'At most this many messages'}),
    offset: Flags.integer({min: 0, default: 0, description: 'Skip this many (for the next page)'}),
    'start-time': Flags.string({description: 'From this time (inclusive): RFC 3339, or a duration ago such as 2h'}),
    'end-time': Flags.string({description: 'Until this time (exclusive): RFC 3339, or a duration ago'}),
    topic: Flags.string({char: 't', multiple: true, description: 'Only this topic; repeatable (any of them)'}),
    principal: Flags.string({char: 'p', multiple: true, description: 'Only messages published by this principal; repeatable'}),
    'correlation-id': Flags.string({description: 'Only messages with this prism-correlation-id'}),
    'show-payload': Flags.boolean({description: 'Include the payloads', default: false}),
    output: Flags.string({char: 'o', aliases: ['format'], options: ['table', 'json'], description: 'Output format: table (default) or json (--format works too, as upstream)'}),
    pattern: patternFlag,
    ...proxyFlags,
  }

  async run() {
    const f = this.flags
    const format = this.outputFormat(f.output)
    const result = await mailboxQuery(
      {...proxyConnectionOf(f), namespace: this.args.namespace, pattern: f.pattern},
      {
        start: f['start-time'] === undefined ? undefined : parseTime(f['start-time'], '--start-time'),
        end: f['end-time'] === undefined ? undefined : parseTime(f['end-time'], '--end-time'),
        topics: f.topic ?? [],
        principals: f.principal ?? [],
        correlationId: f['correlation-id'],
        limit: f.limit,
        offset: f.offset,
        showPayload: f['show-payload'],
      },
    )
    if (format === 'json') this.out(JSON.stringify(result, null, 2))
    else if (result.events.length === 0) this.note(`no messages in the mailbox of ${this.args.namespace} match`)
    else {
      this.out(renderEventTable(result.events, f['show-payload']))
      if (result.events.some((e) => e.encoding === 'base64')) this.note('payloads marked base64: are not UTF-8 text')
      if (result.hasMore) this.note(`more match: the next page is --offset ${f.offset + result.events.length}`)
    }
    return result
  }
}
