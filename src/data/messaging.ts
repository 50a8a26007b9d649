/** `publish` and `consume`: through the proxy's ProducerPattern and ConsumerPattern. */
import {timestampDate} from '@bufbuild/protobuf/wkt'

import type {Routing} from '../api/proxy-client.js'
import {PrismError, usageError} from '../errors.js'
import {ConsumerPattern, ProducerPattern, StartPosition} from '../gen/prism/patterns/v1/messaging_pb.js'
import type {Message} from '../gen/prism/patterns/v1/messaging_pb.js'
import {META} from '../model/metadata-keys.js'
import {withProxy, type ProxyConnectionOptions} from './connection.js'
import {showBytes} from './payload.js'

export interface TopicTarget extends ProxyConnectionOptions {
  namespace: string
  topic: string
  pattern?: string
}

const routing = (t: TopicTarget): Routing => ({namespace: t.namespace, pattern: t.pattern})

/** `-H key=value` pairs as metadata. */
export function parseHeaders(pairs: string[]): Record<string, string> {
  const metadata: Record<string, string> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw usageError(`-H expects KEY=VALUE, got "${pair}"`, 'e.g. -H trace-id=abc123')
    metadata[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  return metadata
}

/** Upstream's descriptive metadata (prism-content-type, …); the proxy adds the principal and the namespace itself. */
export interface MessageDescription {
  contentType?: string
  correlationId?: string
  schemaId?: string
  encryption?: string
}

export interface PublishOptions extends MessageDescription {
  payload: Uint8Array
  metadata: Record<string, string>
  /** Publish this many copies, each with an `x-sequence` (1…N). */
  count: number
  /** Called with each message id as soon as the proxy confirms it. */
  onPublished?: (id: string, sequence: number) => void
}

export async function publish(t: TopicTarget, options: PublishOptions): Promise<{topic: string; messageIds: string[]}> {
  const described: Record<string, string | undefined> = {
    [META.contentType]: options.contentType,
    [META.correlationId]: options.correlationId,
    [META.schemaId]: options.schemaId,
    [META.encryption]: options.encryption,
  }
  const metadata = {...options.metadata}
  for (const [key, value] of Object.entries(described)) if (value) metadata[key] = value
  return withProxy(t, async (p) => {
    const ids: string[] = []
    for (let i = 1; i <= options.count; i++) {
      const r = await p.call(ProducerPattern, 'publish', {topic: t.topic, payload: options.payload, metadata: options.count > 1 ? {...metadata, 'x-sequence': String(i)} : metadata}, routing(t))
      ids.push(r.messageId)
      options.onPublished?.(r.messageId, i)
    }
    return {topic: t.topic, messageIds: ids}
  })
}

export interface ConsumedMessage {
  topic: string
  messageId: string
  timestamp: string
  metadata: Record<string, string>
  payload: string
  encoding: 'utf8' | 'base64'
}

export interface ConsumeOptions {
  group?: string
  ackWaitSeconds?: number
  from: 'earliest' | 'latest'
  /** Stop after this many messages. */
  count?: number
  /** Without --follow: stop when no message arrived for this long (ms). */
  idleMs: number
  follow: boolean
  /** Called for each message before it is acknowledged: print it here. */
  onMessage: (message: Message) => void
  /** Resolves when the caller wants to stop (Ctrl-C). */
  stop?: Promise<void>
}

export function consumedMessage(m: Message): ConsumedMessage {
  const {text, encoding} = showBytes(m.payload)
  return {topic: m.topic, messageId: m.messageId, timestamp: m.timestamp ? timestampDate(m.timestamp).toISOString() : '', metadata: {...m.metadata}, payload: text, encoding}
}

/** Message ids one consume run remembers as acknowledged (the oldest are forgotten first). */
const REMEMBERED_ACKS = 10_000

/**
 * Receives messages and acknowledges each one after onMessage has shown it, so that what was printed is what the
 * group has consumed (at least once: a message shown just before a crash is delivered again). A copy of a message
 * this run has shown and acknowledged already is passed over: the backend may have sent it again before the ack
 * reached it (the ack wait lapsed while it was on its way), and it does not count towards --count.
 */
export async function consume(t: TopicTarget, options: ConsumeOptions): Promise<{received: number; reason: 'count' | 'idle' | 'stopped'}> {
  return withProxy(t, async (p) => {
    const stream = p.stream(
      ConsumerPattern,
      'consume',
      {topic: t.topic, group: options.group ?? '', start: options.from === 'earliest' ? StartPosition.EARLIEST : StartPosition.LATEST, ackWaitSeconds: options.ackWaitSeconds ?? 0},
      routing(t),
    )
    let received = 0
    // Set by the timers and the stop signal as well as by the loop.
    let reason = 'stopped' as 'count' | 'idle' | 'stopped'
    let idle: NodeJS.Timeout | undefined
    const armIdle = () => {
      if (options.follow) return
      clearTimeout(idle)
      idle = setTimeout(() => {
        reason = 'idle'
        stream.cancel()
      }, options.idleMs)
    }
    void options.stop?.then(() => {
      reason = 'stopped'
      stream.cancel()
    })
    armIdle()
    const acknowledged = new Set<string>()
    try {
      for await (const m of stream) {
        const acks = Boolean(m.ackToken && options.group)
        if (acks && acknowledged.has(m.messageId)) continue
        options.onMessage(m)
        received++
        if (acks) {
          await p.call(ConsumerPattern, 'ack', {topic: t.topic, group: options.group!, ackTokens: [m.ackToken]}, routing(t))
          acknowledged.add(m.messageId)
          if (acknowledged.size > REMEMBERED_ACKS) acknowledged.delete(acknowledged.values().next().value!)
        }
        if (options.count !== undefined && received >= options.count) {
          reason = 'count'
          stream.cancel()
          break
        }
        armIdle()
      }
    } finally {
      clearTimeout(idle)
    }
    if (options.count !== undefined && received < options.count && reason === 'idle') {
      throw new PrismError(`received ${received} of ${options.count} messages on ${t.topic} before ${options.idleMs / 1000}s passed without one`, {
        code: 'DEADLINE_EXCEEDED',
        hint: options.group
          ? 'Wait longer with --timeout, or check that something publishes to the topic. A group goes on from where it stopped (--from applies only when the group is first used); a new --group name with --from earliest reads older messages.'
          : 'Wait longer with --timeout, or check that something publishes to the topic (and --from earliest to see older messages).',
      })
    }
    return {received, reason}
  })
}
