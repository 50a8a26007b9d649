import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {namespaceArg, patternFlag, proxyConnectionOf, proxyFlags} from '../cli/data-flags.js'
import {parseHeaders, publish} from '../data/messaging.js'
import {readPayload} from '../data/payload.js'

export default class Publish extends BaseCommand<typeof Publish> {
  static override summary = 'Publish a message to a topic; prints each message id'
  static override description =
    'The payload is the DATA argument (UTF-8), the bytes of -f FILE, or standard input (-f -, or piped in when there is no DATA). The flags set upstream\'s metadata keys (prism-content-type, prism-correlation-id, prism-schema-id, prism-encryption); the proxy adds prism-principal (who your token says you are, whatever -H says) and prism-namespace, and refuses other prism- keys.'
  static override examples = [
    '<%= config.bin %> publish orders new-orders \'{"id": 1}\' --content-type application/json',
    '<%= config.bin %> publish orders new-orders -f order.bin -H trace-id=abc123',
    '<%= config.bin %> publish orders new-orders hello --count 100',
    '<%= config.bin %> publish orders new-orders -f order.enc --encryption aes-256-gcm --correlation-id req-42 --schema-id order-v2',
  ]
  static override args = {namespace: namespaceArg, topic: Args.string({required: true, description: 'Topic'}), data: Args.string({description: 'Payload (UTF-8 text)'})}
  static override flags = {
    file: Flags.string({char: 'f', description: 'Read the payload from this file; - reads stdin'}),
    header: Flags.string({char: 'H', multiple: true, description: 'Metadata KEY=VALUE; repeatable'}),
    count: Flags.integer({char: 'n', min: 1, max: 100_000, default: 1, description: 'Publish this many copies, each with an x-sequence (1…N)'}),
    'content-type': Flags.string({description: 'Sets the prism-content-type metadata, e.g. application/json'}),
    'correlation-id': Flags.string({description: 'Sets prism-correlation-id, e.g. a request or trace id'}),
    'schema-id': Flags.string({description: 'Sets prism-schema-id: the schema the payload follows'}),
    encryption: Flags.string({description: 'Sets prism-encryption: how the payload is encrypted, e.g. aes-256-gcm'}),
    pattern: patternFlag,
    ...proxyFlags,
  }

  async run() {
    const payload = readPayload({inline: this.args.data, file: this.flags.file, stdinIsTty: Boolean(process.stdin.isTTY), name: 'DATA'})
    return publish(
      {...proxyConnectionOf(this.flags), namespace: this.args.namespace, topic: this.args.topic, pattern: this.flags.pattern},
      {
        payload,
        metadata: parseHeaders(this.flags.header ?? []),
        contentType: this.flags['content-type'],
        correlationId: this.flags['correlation-id'],
        schemaId: this.flags['schema-id'],
        encryption: this.flags.encryption,
        count: this.flags.count,
        onPublished: (id) => this.out(id),
      },
    )
  }
}
