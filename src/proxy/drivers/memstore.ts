/**
 * The in-process backend: keyvalue with TTL and scan, and messaging (a bounded log per topic, consumer groups with
 * acknowledgement and redelivery), so a stack without any external service can run every pattern. State lives in
 * this proxy's memory only: it is for local work, and two proxies never share it.
 */
import {randomUUID} from 'node:crypto'

import {PrismError} from '../../errors.js'
import type {Backend} from '../../gen/prism/admin/v1/resources_pb.js'
import type {BackendConnection, Connect, DeliveredMessage, KeyValueDriver, MessagingDriver, OutgoingMessage, SubscribeOptions, Subscription} from './types.js'

/** max_keys 0 means this many. */
const DEFAULT_MAX_KEYS = 100_000
/** Messages kept per topic for `earliest` and for groups; the oldest go first. */
const TOPIC_LOG_SIZE = 10_000

interface Item {
  value: Uint8Array
  /** ms since epoch; undefined: no expiry */
  expiresAt?: number
}

class MemoryKeyValue implements KeyValueDriver {
  readonly support = {expiration: true, scan: 'native', batch: 'pipeline', transactions: false} as const
  private readonly items = new Map<string, Item>()

  constructor(
    private readonly backendName: string,
    private readonly maxKeys: number,
  ) {}

  private live(key: string): Item | undefined {
    const item = this.items.get(key)
    if (item?.expiresAt !== undefined && item.expiresAt <= Date.now()) {
      this.items.delete(key)
      return undefined
    }
    return item
  }

  async get(key: string) {
    return this.live(key)?.value
  }

  async set(key: string, value: Uint8Array, ttlSeconds?: number) {
    if (!this.live(key) && this.items.size >= this.maxKeys) {
      this.pruneExpired()
      if (this.items.size >= this.maxKeys) {
        throw new PrismError(`backend ${this.backendName} is full: it holds its maximum of ${this.maxKeys} keys`, {
          code: 'RESOURCE_EXHAUSTED',
          hint: 'Delete keys, or raise memstore.maxKeys on the backend (prismctl backend update).',
        })
      }
    }
    this.items.set(key, {value: Uint8Array.from(value), expiresAt: ttlSeconds === undefined ? undefined : Date.now() + ttlSeconds * 1000})
  }

  async delete(key: string) {
    const existed = this.live(key) !== undefined
    this.items.delete(key)
    return existed
  }

  async exists(key: string) {
    return this.live(key) !== undefined
  }

  async expire(key: string, ttlSeconds: number) {
    const item = this.live(key)
    if (!item) return false
    item.expiresAt = Date.now() + ttlSeconds * 1000
    return true
  }

  async ttl(key: string) {
    const item = this.live(key)
    if (!item) return undefined
    return item.expiresAt === undefined ? -1 : Math.max(0, Math.ceil((item.expiresAt - Date.now()) / 1000))
  }

  async *scan(prefix: string, limit: number, keysOnly: boolean) {
    const keys = [...this.items.keys()].filter((k) => k.startsWith(prefix)).sort()
    let sent = 0
    for (const key of keys) {
      if (sent >= limit) return
      const item = this.live(key)
      if (!item) continue
      sent++
      yield keysOnly ? {key} : {key, value: item.value}
    }
  }

  private pruneExpired(): void {
    const now = Date.now()
    for (const [key, item] of this.items) if (item.expiresAt !== undefined && item.expiresAt <= now) this.items.delete(key)
  }
}

interface LoggedMessage extends DeliveredMessage {
  seq: number
}

/** A consumer group on one topic: its position, what it delivered and awaits an ack for, and its live members. */
interface Group {
  next: number
  inFlight: Map<number, {message: LoggedMessage; redeliverAt: number}>
  members: Set<Member>
  ackWaitMs: number
}

/** One subscriber's queue and how to wake it. */
interface Member {
  queue: DeliveredMessage[]
  wake?: () => void
  closed: boolean
}

class Topic {
  readonly log: LoggedMessage[] = []
  /** Sequence number of the next message. */
  seq = 1
  readonly groups = new Map<string, Group>()
  readonly ephemeral = new Set<Member>()
}

class MemoryMessaging implements MessagingDriver {
  readonly support = {persistent: false, groups: true, ack: true} as const
  private readonly topics = new Map<string, Topic>()
  private readonly timer: NodeJS.Timeout

  constructor() {
    // Redelivery of unacknowledged messages whose ack wait lapsed.
    this.timer = setInterval(() => this.redeliver(), 250)
    this.timer.unref()
  }

  private topic(name: string): Topic {
    let topic = this.topics.get(name)
    if (!topic) this.topics.set(name, (topic = new Topic()))
    return topic
  }

  async publish(message: OutgoingMessage): Promise<string> {
    const topic = this.topic(message.topic)
    const logged: LoggedMessage = {...message, payload: Uint8Array.from(message.payload), metadata: {...message.metadata}, seq: topic.seq++, messageId: randomUUID(), timestamp: new Date()}
    topic.log.push(logged)
    if (topic.log.length > TOPIC_LOG_SIZE) topic.log.shift()
    for (const member of topic.ephemeral) deliver(member, logged)
    for (const group of topic.groups.values()) this.dispatch(message.topic, group)
    return logged.messageId
  }

  async subscribe(topicName: string, options: SubscribeOptions): Promise<Subscription> {
    const topic = this.topic(topicName)
    const member: Member = {queue: [], closed: false}
    let leave: () => void
    if (!options.group) {
      if (options.start === 'earliest') member.queue.push(...topic.log)
      topic.ephemeral.add(member)
      leave = () => topic.ephemeral.delete(member)
    } else {
      let group = topic.groups.get(options.group)
      if (!group) {
        group = {next: options.start === 'earliest' ? (topic.log[0]?.seq ?? topic.seq) : topic.seq, inFlight: new Map(), members: new Set(), ackWaitMs: options.ackWaitSeconds * 1000}
        topic.groups.set(options.group, group)
      }
      group.ackWaitMs = options.ackWaitSeconds * 1000
      group.members.add(member)
      const g = group
      leave = () => g.members.delete(member)
      this.dispatch(topicName, group)
    }
    return memberSubscription(member, leave)
  }

  async ack(topicName: string, groupName: string, ackTokens: string[]): Promise<number> {
    const group = this.topics.get(topicName)?.groups.get(groupName)
    if (!group) return 0
    let acked = 0
    for (const token of ackTokens) if (group.inFlight.delete(Number(token))) acked++
    return acked
  }

  /** Hands the group's next messages to its members, round robin, one at a time per member queue. */
  private dispatch(topicName: string, group: Group): void {
    const topic = this.topic(topicName)
    const members = [...group.members].filter((m) => !m.closed)
    if (members.length === 0) return
    let i = 0
    const first = topic.log[0]?.seq ?? topic.seq
    if (group.next < first) group.next = first
    while (group.next < topic.seq) {
      const message = topic.log[group.next - first]
      group.next++
      if (!message) continue
      group.inFlight.set(message.seq, {message, redeliverAt: Date.now() + group.ackWaitMs})
      deliver(members[i++ % members.length]!, {...message, ackToken: String(message.seq), metadata: {...message.metadata}})
    }
  }

  private redeliver(): void {
    const now = Date.now()
    for (const topic of this.topics.values()) {
      for (const group of topic.groups.values()) {
        const members = [...group.members].filter((m) => !m.closed)
        if (members.length === 0) continue
        let i = 0
        for (const entry of group.inFlight.values()) {
          if (entry.redeliverAt > now) continue
          entry.redeliverAt = now + group.ackWaitMs
          deliver(members[i++ % members.length]!, {...entry.message, ackToken: String(entry.message.seq)})
        }
      }
    }
  }

  close(): void {
    clearInterval(this.timer)
    for (const topic of this.topics.values()) {
      for (const member of topic.ephemeral) endMember(member)
      for (const group of topic.groups.values()) for (const member of group.members) endMember(member)
    }
  }
}

function deliver(member: Member, message: DeliveredMessage): void {
  if (member.closed) return
  member.queue.push(message)
  member.wake?.()
}

function endMember(member: Member): void {
  member.closed = true
  member.wake?.()
}

function memberSubscription(member: Member, leave: () => void): Subscription {
  return {
    async close() {
      leave()
      endMember(member)
    },
    async *[Symbol.asyncIterator]() {
      try {
        while (true) {
          const next = member.queue.shift()
          if (next) {
            yield next
            continue
          }
          if (member.closed) return
          await new Promise<void>((resolve) => (member.wake = resolve))
          member.wake = undefined
        }
      } finally {
        leave()
        member.closed = true
      }
    },
  }
}

export const connect: Connect = async (backend: Backend): Promise<BackendConnection> => {
  const config = backend.config.case === 'memstore' ? backend.config.value : undefined
  const messaging = new MemoryMessaging()
  return {
    keyValue: new MemoryKeyValue(backend.name, config?.maxKeys || DEFAULT_MAX_KEYS),
    messaging,
    ping: async () => {},
    close: async () => messaging.close(),
  }
}
