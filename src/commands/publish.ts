import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {namespaceArg, patternFlag, proxyConnectionOf, proxyFlags} from '../cli/data-flags.js'
import {parseHeaders, publish} from '../data/messaging.js'
import {readPayload} from '../data/payload.js'

export default class Publish extends BaseCommand<typeof Publish> {
  static override summary = 'Publish a message to a topic; prints each message id'
  static override description = 'The payload is the DATA argument (UTF-8), the bytes of -f FILE, or standard input (-f -, or piped in when there is no DATA).'
  static override examples = [
    '<%= config.bin %> publish orders new-orders \'{"id": 1}\' --content-type application/json',
    '<%= config.bin %> publish orders new-orders -f order.bin -H trace-id=abc123',
    '<%= config.bin %> publish orders new-orders hello --count 100',
  ]
  static override args = {namespace: namespaceArg, topic: Args.string({required: true, description: 'Topic'}), data: Args.string({description: 'Payload (UTF-8 text)'})}
  static override flags = {
    file: Flags.string({char: 'f', description: 'Read the payload from this file; - reads stdin'}),
    header: Flags.string({char: 'H', multiple: true, description: 'Metadata KEY=VALUE; repeatable'}),
    count: Flags.integer({min: 1, max: 100_000, default: 1, description: 'Publish this many copies, each with an x-sequence (1…N)'}),
    'content-type': Flags.string({description: 'Sets the prism-content-type metadata, e.g. application/json'}),
    pattern: patternFlag,
    ...proxyFlags,
  }

  async run() {
    const payload = readPayload({inline: this.args.data, file: this.flags.file, stdinIsTty: Boolean(process.stdin.isTTY), name: 'DATA'})
    return publish(
      {...proxyConnectionOf(this.flags), namespace: this.args.namespace, topic: this.args.topic, pattern: this.flags.pattern},
      {payload, metadata: parseHeaders(this.flags.header ?? []), contentType: this.flags['content-type'], count: this.flags.count, onPublished: (id) => this.out(id)},
    )
  }
}
