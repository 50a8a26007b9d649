/**
 * The in-process backend: keyvalue with TTL and scan, and messaging (a bounded log per topic, consumer groups with
 * acknowledgement and redelivery) and a bounded mailbox table, so a stack without any external service can run every pattern. State lives in
 * this proxy's memory only: it is for local work, and two proxies never share it.
 */
import {randomUUID} from 'node:crypto'

import {PrismError} from '../../errors.js'
import type {Backend} from '../../gen/prism/admin/v1/resources_pb.js'
import {MemoryMailboxStore} from '../mailbox/memory-store.js'
import type {BackendConnection, Connect, DeliveredMessage, KeyValueDriver, MessagingDriver, OutgoingMessage, SubscribeOptions, Subscription} from './types.js'

/** max_keys 0 means this many. */
const DEFAULT_MAX_KEYS = 100_000
/** Bytes of keys and values one backend holds: it lives in the proxy's memory. */
const MAX_KV_BYTES = 512 * 1024 * 1024
/** Messages (and their bytes) kept per topic for `earliest` and for groups; the oldest go first. */
const TOPIC_LOG_SIZE = 10_000
const TOPIC_LOG_BYTES = 64 * 1024 * 1024
const MAX_TOPICS = 1000

interface Item {
  value: Uint8Array
  /** ms since epoch; undefined: no expiry */
  expiresAt?: number
}

class MemoryKeyValue implements KeyValueDriver {
  readonly support = {expiration: true, scan: 'native', batch: 'pipeline', transactions: false} as const
  private readonly items = new Map<string, Item>()
  private bytes = 0

  constructor(
    private readonly backendName: string,
    private readonly maxKeys: number,
  ) {}

  private live(key: string): Item | undefined {
    const item = this.items.get(key)
    if (item?.expiresAt !== undefined && item.expiresAt <= Date.now()) {
      this.remove(key)
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
    const size = Buffer.byteLength(key) + value.length
    const previous = this.items.get(key)
    const freed = previous ? Buffer.byteLength(key) + previous.value.length : 0
    if (this.bytes - freed + size > MAX_KV_BYTES) {
      throw new PrismError(`backend ${this.backendName} is full: it holds ${MAX_KV_BYTES / 1024 / 1024} MiB, the most a memstore keeps`, {
        code: 'RESOURCE_EXHAUSTED',
        hint: 'Delete keys, or use a Redis or PostgreSQL backend for more data.',
      })
    }
    this.bytes += size - freed
    this.items.set(key, {value: Uint8Array.from(value), expiresAt: ttlSeconds === undefined ? undefined : Date.now() + ttlSeconds * 1000})
  }

  private remove(key: string): void {
    const item = this.items.get(key)
    if (!item) return
    this.bytes -= Buffer.byteLength(key) + item.value.length
    this.items.delete(key)
  }

  async delete(key: string) {
    const existed = this.live(key) !== undefined
    this.remove(key)
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
    for (const [key, item] of this.items) if (item.expiresAt !== undefined && item.expiresAt <= now) this.remove(key)
  }
}

interface LoggedMessage extends DeliveredMessage {
  seq: number
}

/** A message a group handed to a member and awaits an ack for; without a member (it left), it is up for grabs. */
interface InFlight {
  message: LoggedMessage
  member?: Member
  redeliverAt: number
}

/** A consumer group on one topic: its position, what it delivered and awaits an ack for, and its live members. */
interface Group {
  next: number
  inFlight: Map<number, InFlight>
  members: Set<Member>
  ackWaitMs: number
}

/** Unacknowledged messages one member may hold, so that the others get a share of a backlog. */
const PREFETCH = 64

/** One subscriber's queue and how to wake it. */
interface Member {
  queue: DeliveredMessage[]
  wake?: () => void
  closed: boolean
}

class Topic {
  readonly log: LoggedMessage[] = []
  logBytes = 0
  /** Sequence number of the next message. */
  seq = 1
  readonly groups = new Map<string, Group>()
  readonly ephemeral = new Set<Member>()
}

class MemoryMessaging implements MessagingDriver {
  readonly support = {persistent: false, groups: true, ack: true} as const
  private readonly topics = new Map<string, Topic>()
  private readonly timer: NodeJS.Timeout

  constructor(private readonly backendName: string) {
    this.timer = setInterval(() => this.redeliver(), 250)
    this.timer.unref()
  }

  private topic(name: string): Topic {
    let topic = this.topics.get(name)
    if (!topic) {
      if (this.topics.size >= MAX_TOPICS) {
        throw new PrismError(`backend ${this.backendName} has its maximum of ${MAX_TOPICS} topics`, {code: 'RESOURCE_EXHAUSTED', hint: 'Use fewer topic names, or a NATS or Kafka backend.'})
      }
      this.topics.set(name, (topic = new Topic()))
    }
    return topic
  }

  async publish(message: OutgoingMessage): Promise<string> {
    const topic = this.topic(message.topic)
    const logged: LoggedMessage = {...message, payload: Uint8Array.from(message.payload), metadata: {...message.metadata}, seq: topic.seq++, messageId: randomUUID(), timestamp: new Date()}
    topic.log.push(logged)
    topic.logBytes += logged.payload.length
    while (topic.log.length > TOPIC_LOG_SIZE || topic.logBytes > TOPIC_LOG_BYTES) topic.logBytes -= topic.log.shift()!.payload.length
    for (const member of topic.ephemeral) deliver(member, logged)
    for (const group of topic.groups.values()) this.dispatch(topic, group)
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
      leave = () => {
        if (!g.members.delete(member)) return
        // What it held and did not acknowledge goes to the others now, not after the ack wait.
        for (const entry of g.inFlight.values()) if (entry.member === member) entry.member = undefined
        this.dispatch(topic, g)
      }
      this.dispatch(topic, group)
    }
    return memberSubscription(member, () => leave())
  }

  async ack(topicName: string, groupName: string, ackTokens: string[]): Promise<number> {
    const topic = this.topics.get(topicName)
    const group = topic?.groups.get(groupName)
    if (!topic || !group) return 0
    let acked = 0
    for (const token of ackTokens) if (group.inFlight.delete(Number(token))) acked++
    this.dispatch(topic, group)
    return acked
  }

  /**
   * Hands out what the group owes its members, least loaded member first and at most PREFETCH each: first the
   * messages whose ack wait lapsed or whose member left, then the ones it has not delivered yet.
   */
  private dispatch(topic: Topic, group: Group): void {
    const now = Date.now()
    const load = new Map<Member, number>()
    for (const m of group.members) if (!m.closed) load.set(m, 0)
    if (load.size === 0) return
    const held = (e: InFlight) => e.member !== undefined && load.has(e.member) && e.redeliverAt > now
    for (const e of group.inFlight.values()) if (held(e)) load.set(e.member!, load.get(e.member!)! + 1)
    const pick = (): Member | undefined => {
      let best: Member | undefined
      for (const [m, n] of load) if (n < PREFETCH && (best === undefined || n < load.get(best)!)) best = m
      return best
    }
    const hand = (entry: InFlight, member: Member) => {
      entry.member = member
      entry.redeliverAt = now + group.ackWaitMs
      load.set(member, load.get(member)! + 1)
      deliver(member, {...entry.message, metadata: {...entry.message.metadata}, ackToken: String(entry.message.seq)})
    }
    for (const entry of group.inFlight.values()) {
      if (held(entry)) continue
      const member = pick()
      if (!member) return
      hand(entry, member)
    }
    const first = topic.log[0]?.seq ?? topic.seq
    if (group.next < first) group.next = first
    while (group.next < topic.seq) {
      const member = pick()
      if (!member) return
      const message = topic.log[group.next - first]
      group.next++
      if (!message) continue
      const entry: InFlight = {message, redeliverAt: 0}
      group.inFlight.set(message.seq, entry)
      hand(entry, member)
    }
  }

  /** Redelivery of unacknowledged messages whose ack wait lapsed. */
  private redeliver(): void {
    for (const topic of this.topics.values()) for (const group of topic.groups.values()) if (group.inFlight.size > 0) this.dispatch(topic, group)
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
  const messaging = new MemoryMessaging(backend.name)
  return {
    keyValue: new MemoryKeyValue(backend.name, config?.maxKeys || DEFAULT_MAX_KEYS),
    messaging,
    mailbox: new MemoryMailboxStore(),
    ping: async () => {},
    close: async () => messaging.close(),
  }
}
