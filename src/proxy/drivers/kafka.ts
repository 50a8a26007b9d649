/**
 * Kafka (kafkajs): messaging. A message id (and, in a group, the ack token) is `topic/partition/offset`. A group is a
 * Kafka consumer group whose position is its committed offsets: an ack commits offset + 1 of its partition, so acks
 * are cumulative per partition (acknowledging a message acknowledges the earlier ones of its partition), and what
 * is not acknowledged is delivered again from the committed offset when the group next rebalances (a member leaves,
 * a proxy restarts), not after ackWaitSeconds. Kafka accepts a commit only from the member that holds the partition,
 * so an ack reaches Kafka only through the proxy serving that Consume stream; anywhere else it is refused with
 * FAILED_PRECONDITION rather than reported as done. Without a group a subscriber is a consumer group of its own
 * with a random id that commits nothing. The producer is not idempotent (librdkafka's mock cluster, our test peer,
 * cannot initialise one), but waits for all in-sync replicas (acks -1). Clients connect on first use.
 */
import {randomUUID} from 'node:crypto'

import type * as KafkaJs from 'kafkajs'

import {PrismError} from '../../errors.js'
import {backendConfig, invalidArgument, scrub, staticCredentials, unavailable} from './backend-config.js'
import {Channel} from './channel.js'
import type {BackendConnection, Connect, DeliveredMessage, MessagingDriver, SubscribeOptions, Subscription} from './types.js'

const TOPIC = /^[a-zA-Z0-9._-]{1,249}$/
const JOIN_TIMEOUT_MS = 30_000
const BUFFER = 16

interface GroupMember {
  topic: string
  group: string
  consumer: KafkaJs.Consumer
  /** Partitions of the topic this member holds since its last rebalance. */
  partitions: Set<number>
  /** The highest offset this member committed per partition, so a late ack never moves a partition back. */
  committed: Map<number, bigint>
}

function checkTopic(topic: string): void {
  if (!TOPIC.test(topic)) throw invalidArgument(`"${topic.slice(0, 80)}" is not a valid Kafka topic name`, 'Use 1 to 249 characters of [a-zA-Z0-9._-].')
}

export const connect: Connect = async (backend, {log}) => {
  const config = backendConfig(backend, 'kafka')
  if (config.brokers.length === 0) throw new PrismError(`backend ${backend.name} has no kafka.brokers`, {code: 'FAILED_PRECONDITION', hint: 'Set kafka.brokers, e.g. [kafka:9092].'})
  const address = config.brokers.join(',')
  const creds = staticCredentials(backend)
  const {Kafka, logLevel, Partitioners} = (await import('kafkajs')).default
  const kafka = new Kafka({
    clientId: config.clientId || 'prism-proxy',
    brokers: config.brokers,
    ...(creds?.username ? {sasl: {mechanism: 'plain' as const, username: creds.username, password: creds.password}} : {}),
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: {retries: 3, initialRetryTime: 100, maxRetryTime: 1_000},
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => log(`kafka ${backend.name}: ${scrub(entry.log.message, backend)}`),
  })

  const fail = (err: unknown): unknown => (err instanceof PrismError ? err : unavailable(backend, address, err))
  /** A client connected once, on first use; a failed connect is retried by the next call. */
  function lazily<T extends {connect(): Promise<void>; disconnect(): Promise<void>}>(make: () => T): {get: () => Promise<T>; end: () => Promise<void>} {
    let pending: Promise<T> | undefined
    return {
      get() {
        pending ??= (async () => {
          const client = make()
          await client.connect()
          return client
        })().catch((err: unknown) => {
          pending = undefined
          throw fail(err)
        })
        return pending
      },
      async end() {
        const client = await pending?.catch(() => undefined)
        pending = undefined
        await client?.disconnect()
      },
    }
  }
  const producer = lazily(() => kafka.producer({allowAutoTopicCreation: true, createPartitioner: Partitioners.DefaultPartitioner}))
  const admin = lazily(() => kafka.admin())
  const members = new Set<GroupMember>()
  const subscriptions = new Set<Subscription>()

  async function subscribe(topic: string, options: SubscribeOptions): Promise<Subscription> {
    checkTopic(topic)
    const groupId = options.group || `prism-ephemeral-${randomUUID()}`
    // A 10 s session: a proxy that died without leaving hands its partitions on after that long.
    const consumer = kafka.consumer({groupId, sessionTimeout: 10_000, heartbeatInterval: 3_000, maxWaitTimeInMs: 500, allowAutoTopicCreation: true, retry: {retries: 3, initialRetryTime: 100, maxRetryTime: 1_000}})
    const channel = new Channel<DeliveredMessage>(BUFFER)
    const member: GroupMember = {topic, group: options.group ?? '', consumer, partitions: new Set(), committed: new Map()}
    let joined!: () => void
    const join = new Promise<void>((resolve) => (joined = resolve))
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      member.partitions = new Set(event.payload.memberAssignment[topic] ?? [])
      joined()
    })
    try {
      // For 'latest': where each partition ends now (this also creates the topic), so that partitions without a
      // committed offset start exactly there, whenever the consumer first fetches.
      const ends = options.start === 'latest' ? await (await admin.get()).fetchTopicOffsets(topic) : []
      const committed = options.group && options.start === 'latest' ? (await (await admin.get()).fetchOffsets({groupId, topics: [topic]}))[0]?.partitions ?? [] : []
      await consumer.connect()
      await consumer.subscribe({topics: [topic], fromBeginning: options.start === 'earliest'})
      const group = options.group
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({partition, message}) => {
          const id = `${topic}/${partition}/${message.offset}`
          const metadata: Record<string, string> = {}
          for (const [key, value] of Object.entries(message.headers ?? {})) if (value !== undefined) metadata[key] = Array.isArray(value) ? value.map(String).join(',') : String(value)
          await channel.push({topic, payload: new Uint8Array(message.value ?? Buffer.alloc(0)), metadata, messageId: id, timestamp: new Date(Number(message.timestamp)), ...(group ? {ackToken: id} : {})})
        },
      })
      let timer: NodeJS.Timeout | undefined
      await Promise.race([join, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`consumer group ${groupId} did not join within ${JOIN_TIMEOUT_MS / 1000} s`)), JOIN_TIMEOUT_MS)))]).finally(() => clearTimeout(timer))
      for (const end of ends) {
        const hasCommit = committed.some((c) => c.partition === end.partition && c.offset !== '-1')
        if (member.partitions.has(end.partition) && !hasCommit) consumer.seek({topic, partition: end.partition, offset: end.offset})
      }
    } catch (err) {
      channel.close()
      await consumer.disconnect().catch(() => undefined)
      throw fail(err)
    }
    if (options.group) members.add(member)
    let ended: Promise<void> | undefined
    const sub: Subscription = {
      [Symbol.asyncIterator]: () => channel[Symbol.asyncIterator](),
      close: () =>
        (ended ??= (async () => {
          channel.close()
          members.delete(member)
          subscriptions.delete(sub)
          await consumer.disconnect().catch((err: Error) => log(`kafka ${backend.name}: leaving group ${groupId}: ${scrub(err.message, backend)}`))
        })()),
    }
    subscriptions.add(sub)
    return sub
  }

  const messaging: MessagingDriver = {
    support: {persistent: true, groups: true, ack: true},
    async publish(message) {
      checkTopic(message.topic)
      const client = await producer.get()
      try {
        const [record] = await client.send({topic: message.topic, acks: -1, messages: [{value: Buffer.from(message.payload), headers: message.metadata}]})
        return `${message.topic}/${record!.partition}/${record!.baseOffset}`
      } catch (err) {
        throw fail(err)
      }
    },
    subscribe,
    async ack(topic, group, ackTokens) {
      if (!group) throw invalidArgument('Acknowledging needs the group the messages were consumed in')
      const highest = new Map<number, bigint>()
      for (const token of ackTokens) {
        const match = /^(.+)\/(\d+)\/(\d+)$/.exec(token)
        if (!match || match[1] !== topic) throw invalidArgument(`"${token.slice(0, 80)}" is not an ack token of topic ${topic}`, 'Pass the ack_token of a message received from Consume with the same topic and group.')
        const partition = Number(match[2])
        const offset = BigInt(match[3]!)
        if (!(offset < (highest.get(partition) ?? -1n))) highest.set(partition, offset)
      }
      const member = [...members].find((m) => m.topic === topic && m.group === group && [...highest.keys()].every((p) => m.partitions.has(p)))
      if (!member) {
        throw new PrismError(`backend ${backend.name} (Kafka): group ${group} does not consume partition${highest.size > 1 ? 's' : ''} ${[...highest.keys()].join(', ')} of ${topic} through this proxy`, {
          code: 'FAILED_PRECONDITION',
          hint: 'Kafka accepts offset commits only from the group member holding the partition: acknowledge through the proxy serving the Consume stream. Unacknowledged messages are delivered again from the committed offset when the group rebalances.',
        })
      }
      const commits = [...highest].filter(([p, offset]) => offset + 1n > (member.committed.get(p) ?? -1n)).map(([partition, offset]) => ({topic, partition, offset: String(offset + 1n)}))
      try {
        if (commits.length > 0) await member.consumer.commitOffsets(commits)
      } catch (err) {
        throw fail(err)
      }
      for (const c of commits) member.committed.set(c.partition, BigInt(c.offset))
      return ackTokens.length
    },
  }

  const api: BackendConnection = {
    messaging,
    async ping() {
      try {
        await (await admin.get()).describeCluster()
      } catch (err) {
        throw fail(err)
      }
    },
    async close() {
      await Promise.allSettled([...subscriptions].map((s) => s.close()))
      await Promise.allSettled([producer.end(), admin.end()])
    },
  }
  return api
}
