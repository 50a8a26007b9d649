import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {namespaceArg, patternFlag, proxyConnectionOf, proxyFlags} from '../cli/data-flags.js'
import {interruptSignal} from '../cli/interrupt.js'
import {parseDuration} from '../config/duration.js'
import {consume, consumedMessage, type ConsumedMessage} from '../data/messaging.js'

export default class Consume extends BaseCommand<typeof Consume> {
  static override summary = 'Print messages from a topic, one per line, acknowledging each one printed'
  static override description =
    'Without --follow, stops after --count messages or when --timeout passes without a message. With --group the messages are shared with the other members of the group and acknowledged once printed (at least once: a message printed just before a crash comes again). -o json prints one JSON object per line with metadata; payloads that are not text are base64 there.'
  static override examples = [
    '<%= config.bin %> consume orders new-orders --from earliest',
    '<%= config.bin %> consume orders new-orders --group billing --count 10 -o json',
    '<%= config.bin %> consume orders new-orders --follow',
  ]
  static override args = {namespace: namespaceArg, topic: Args.string({required: true, description: 'Topic'})}
  static override flags = {
    group: Flags.string({description: 'Consumer group: share the messages and remember the position'}),
    'ack-wait': Flags.string({description: 'With --group: how long a message may go unacknowledged before it is delivered again', default: '30s'}),
    from: Flags.string({options: ['earliest', 'latest'], default: 'latest', description: 'Where a new consumer starts'}),
    count: Flags.integer({min: 1, description: 'Stop after this many messages (exit 1 if fewer arrive in time)'}),
    follow: Flags.boolean({description: 'Keep waiting for messages until interrupted'}),
    output: Flags.string({char: 'o', options: ['text', 'json'], default: 'text', description: 'text: the payload; json: one object per line with metadata'}),
    pattern: patternFlag,
    ...proxyFlags,
    timeout: Flags.string({description: 'Without --follow: stop when no message arrived for this long', default: '5s'}),
  }

  async run() {
    const f = this.flags
    const messages: ConsumedMessage[] = []
    // Ctrl-C stops after the message being printed is acknowledged; the exit says it was interrupted (130).
    const interrupted = interruptSignal()
    const stop = new Promise<void>((resolve) => interrupted.addEventListener('abort', () => resolve(), {once: true}))
    const result = await consume(
      // The per-call deadline applies to the acknowledgements; the stream itself has none.
      {...proxyConnectionOf({...f, timeout: '10s'}), namespace: this.args.namespace, topic: this.args.topic, pattern: f.pattern},
      {
        group: f.group,
        ackWaitSeconds: Math.max(1, Math.round(parseDuration(f['ack-wait'], '--ack-wait') / 1000)),
        from: f.from as 'earliest' | 'latest',
        count: f.count,
        follow: f.follow,
        idleMs: parseDuration(f.timeout, '--timeout'),
        stop,
        onMessage: (m) => {
          const shown = consumedMessage(m)
          if (this.jsonEnabled()) messages.push(shown)
          else if (f.output === 'json') this.out(JSON.stringify(shown))
          else {
            process.stdout.write(m.payload)
            process.stdout.write('\n')
          }
        },
      },
    )
    if (result.received === 0 && result.reason === 'idle') this.note(`no messages on ${this.args.topic} within ${f.timeout}`)
    // 128 + SIGINT, what a shell reports for a process Ctrl-C killed.
    if (interrupted.aborted) process.exitCode = 130
    return {received: result.received, messages}
  }
}
