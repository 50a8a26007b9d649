/**
 * NATS: messaging only. Without JetStream it is core pub/sub (at most once, nothing kept, no groups). With JetStream
 * every topic is one stream (`PRISM_<name>`, subject `prism.<name>`, file storage, limits retention, its max age the
 * namespace's settings.retention when one is set): a stream per topic keeps a group's durable consumer named after the group alone
 * (2.9 servers filter a consumer by one subject only), and an ephemeral reader needs no filter. A group is a durable
 * pull consumer with explicit acks; its ack token is the JetStream ack subject of the delivery, which any connection
 * (so any proxy) can answer, so acknowledgements survive a proxy restart. The connection opens on first use and
 * reconnects forever; while it is down every call fails fast with UNAVAILABLE instead of buffering.
 */
import {randomUUID} from 'node:crypto'

import type {JetStreamClient, JetStreamManager, JsMsg} from '@nats-io/jetstream'
import type {Msg, MsgHdrs, NatsConnection} from '@nats-io/transport-node'

import {PrismError} from '../../errors.js'
import {showableUrl} from '../../ui/debug.js'
import {backendConfig, invalidArgument, scrub, staticCredentials, unavailable} from './backend-config.js'
import type {BackendConnection, Connect, DeliveredMessage, MessagingDriver, OutgoingMessage, PublishOptions, SubscribeOptions, Subscription} from './types.js'

/** Carries a core-NATS message's id to its receivers (JetStream ids come from the stream sequence instead). */
const ID_HEADER = 'Prism-Message-Id'
/** Encoded names longer than this are refused: stream names become file names on the server. */
const MAX_ENCODED_NAME = 200
/** Messages a group member pulls ahead; small, so a slow member leaves the rest of the work to the others. */
const PULL_BATCH = 16
/**
 * The idle heartbeat of a group member's pull requests (the library's default is 15 s): the server also drops a pull
 * request nobody listens to any more at its next heartbeat, which bounds how long a proxy that died leaves one
 * behind (see the member's close in subscribeJetStream).
 */
const PULL_HEARTBEAT_MS = 1_000
const REQUEST_TIMEOUT_MS = 5_000

/**
 * Topic and group names as NATS tokens, injectively: [a-z0-9-] stay, every other byte of the UTF-8 becomes `_XX`
 * (upper-case hex). The result has no `.`, `*`, `>` or spaces, and stays distinct on case-insensitive file systems.
 */
export function natsName(kind: 'topic' | 'group', name: string): string {
  if (name === '') throw invalidArgument(`The ${kind} name is empty`)
  let out = ''
  for (const ch of name) {
    out += /^[a-z0-9-]$/.test(ch) ? ch : [...Buffer.from(ch)].map((b) => `_${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')
  }
  if (out.length > MAX_ENCODED_NAME) throw invalidArgument(`The ${kind} name "${name.slice(0, 40)}…" is too long for NATS`, `Use at most ${MAX_ENCODED_NAME} characters of [a-z0-9-] (others count three).`)
  return out
}

const streamName = (topic: string) => `PRISM_${natsName('topic', topic)}`
const subjectOf = (topic: string) => `prism.${natsName('topic', topic)}`

/** The stream and consumer a JetStream ack subject belongs to; undefined when the token is not one. */
export function parseAckSubject(token: string): {stream: string; consumer: string} | undefined {
  const parts = token.split('.')
  if (parts[0] !== '$JS' || parts[1] !== 'ACK' || parts.some((p) => p === '' || /[\s*>]/.test(p))) return undefined
  // $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<time>.<pending>, or with <domain>.<account hash> first (and a token last).
  if (parts.length === 9) return {stream: parts[2], consumer: parts[3]}
  if (parts.length >= 11) return {stream: parts[4], consumer: parts[5]}
  return undefined
}

function toHeaders(makeHeaders: () => MsgHdrs, metadata: Record<string, string>): MsgHdrs {
  const h = makeHeaders()
  for (const [key, value] of Object.entries(metadata)) {
    if (/^nats-/i.test(key) || key.toLowerCase() === ID_HEADER.toLowerCase()) throw invalidArgument(`Metadata key "${key}" is reserved on NATS`, 'Keys starting with "Nats-" and "Prism-Message-Id" are used by NATS and the proxy.')
    if (key === '') throw invalidArgument('A metadata key is empty')
    try {
      h.set(key, value)
    } catch (err) {
      throw invalidArgument(`Metadata "${key}" cannot travel as a NATS header: ${(err as Error).message}`, 'Use printable ASCII keys without spaces or colons, and values without line breaks.')
    }
  }
  return h
}

function fromHeaders(headers: MsgHdrs | undefined): Record<string, string> {
  const metadata: Record<string, string> = {}
  for (const key of headers?.keys() ?? []) if (key !== ID_HEADER && !/^nats-/i.test(key)) metadata[key] = headers!.get(key)
  return metadata
}

export const connect: Connect = async (backend, {log}) => {
  const config = backendConfig(backend, 'nats')
  if (!config.url) throw new PrismError(`backend ${backend.name} has no nats.url`, {code: 'FAILED_PRECONDITION', hint: 'Set nats.url, e.g. nats://nats:4222.'})
  const address = scrub(showableUrl(config.url), backend)
  const nats = await import('@nats-io/transport-node')
  const js = config.jetstream ? await import('@nats-io/jetstream') : undefined
  const creds = staticCredentials(backend)

  let pending: Promise<NatsConnection> | undefined
  let up = false
  let closed = false
  const subscriptions = new Set<Subscription>()
  /** Each stream this driver made sure of, with the max age (ns) it then has. */
  const knownStreams = new Map<string, {ready: Promise<void>; maxAgeNs: number}>()

  const fail = (err: unknown): PrismError => {
    if (err instanceof PrismError) return err
    // The class is not exported by @nats-io/jetstream's entry point; its name is stable.
    if (js && (err as Error)?.name === 'JetStreamNotEnabled') {
      return new PrismError(`backend ${backend.name} is registered with JetStream, but the NATS server at ${address} has it off`, {code: 'FAILED_PRECONDITION', hint: 'Start nats-server with -js, or register the backend with nats.jetstream: false.'})
    }
    return unavailable(backend, address, err)
  }

  async function connection(): Promise<NatsConnection> {
    if (closed) throw unavailable(backend, address, 'the connection is closed')
    pending ??= nats
      .connect({
        servers: config.url,
        name: `prism-proxy ${backend.name}`,
        ...(creds?.token ? {token: creds.token} : creds?.username ? {user: creds.username, pass: creds.password} : {}),
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        timeout: REQUEST_TIMEOUT_MS,
      })
      .then(
        (nc) => {
          up = true
          void (async () => {
            for await (const s of nc.status()) {
              if (s.type === 'disconnect') {
                up = false
                log(`nats ${backend.name}: disconnected from ${address}, reconnecting`)
              } else if (s.type === 'reconnect') {
                up = true
                log(`nats ${backend.name}: reconnected to ${address}`)
              }
            }
          })()
          return nc
        },
        (err: unknown) => {
          pending = undefined
          throw unavailable(backend, address, err)
        },
      )
    const nc = await pending
    if (!up) throw unavailable(backend, address, 'disconnected, reconnecting')
    return nc
  }

  async function jetStream(): Promise<{nc: NatsConnection; client: JetStreamClient; manager: JetStreamManager}> {
    const nc = await connection()
    return {nc, client: js!.jetstream(nc, {timeout: REQUEST_TIMEOUT_MS}), manager: await js!.jetstreamManager(nc, {timeout: REQUEST_TIMEOUT_MS, checkAPI: false})}
  }

  /**
   * Creates the topic's stream once per driver (and again after a failure); idempotent across proxies. Its max age is
   * the namespace's retention for this backend, or none (kept as JetStream's limits keep it) when none is set. A
   * publisher with a retention also sets it on a stream that has another; a subscriber only creates a missing one.
   */
  function ensureStream(manager: JetStreamManager, topic: string, retentionMs: number | undefined, reconcile = false): Promise<void> {
    const name = streamName(topic)
    // Nanoseconds: ms * 1e6 stays an exact integer for every retention validation allows (3650d); 0 is no limit.
    const maxAgeNs = (retentionMs ?? 0) * 1_000_000
    // The server refuses a duplicate window (2 min by default; unused here) longer than the max age.
    const limits = maxAgeNs ? {max_age: maxAgeNs, duplicate_window: Math.min(maxAgeNs, 120e9)} : {}
    reconcile &&= retentionMs !== undefined
    const known = knownStreams.get(name)
    if (known && (!reconcile || known.maxAgeNs === maxAgeNs)) return known.ready
    const ready = (known?.ready.catch(() => undefined) ?? Promise.resolve()).then(() =>
      manager.streams.info(name).then(
        async (info) => {
          if (reconcile && info.config.max_age !== maxAgeNs) {
            await manager.streams.update(name, limits)
            log(`nats ${backend.name}: stream ${name} now keeps messages for ${retentionMs! / 1000} s (settings.retention)`)
          } else {
            entry.maxAgeNs = info.config.max_age
          }
        },
        async (err: unknown) => {
          if (!(err instanceof js!.JetStreamApiError) || err.code !== js!.JetStreamApiCodes.StreamNotFound) throw err
          await manager.streams.add({name, subjects: [subjectOf(topic)], storage: js!.StorageType.File, retention: js!.RetentionPolicy.Limits, ...limits})
        },
      ),
    )
    const entry = {ready, maxAgeNs}
    knownStreams.set(name, entry)
    ready.catch(() => {
      if (knownStreams.get(name) === entry) knownStreams.delete(name)
    })
    return ready
  }

  const toDelivered = (topic: string, m: JsMsg, ackToken?: string): DeliveredMessage => ({
    topic,
    payload: m.data,
    metadata: fromHeaders(m.headers),
    messageId: `${m.info.stream}/${m.seq}`,
    timestamp: m.time,
    ...(ackToken ? {ackToken} : {}),
  })

  /** Ends when closed, when the reader stops iterating, or when the connection closes; close() stops the source. */
  function live<T>(source: AsyncIterable<T>, toMessage: (m: T) => DeliveredMessage, stop: () => unknown): Subscription {
    let ended: Promise<void> | undefined
    const end = () =>
      (ended ??= (async () => {
        subscriptions.delete(sub)
        await stop()
      })())
    const messages = (async function* () {
      try {
        for await (const m of source) yield toMessage(m)
      } finally {
        await end()
      }
    })()
    const sub: Subscription = {[Symbol.asyncIterator]: () => messages, close: end}
    subscriptions.add(sub)
    return sub
  }

  async function subscribeCore(topic: string, options: SubscribeOptions): Promise<Subscription> {
    if (options.group) throw new PrismError(`backend ${backend.name} (NATS without JetStream) has no consumer groups`, {code: 'FAILED_PRECONDITION', hint: 'Register the backend with nats.jetstream: true for groups and acknowledgements.'})
    const nc = await connection()
    const sub = nc.subscribe(subjectOf(topic))
    // The server has the subscription once it answers a PING sent after it.
    await nc.flush().catch((err: unknown) => Promise.reject(fail(err)))
    return live(
      sub as AsyncIterable<Msg>,
      (m) => ({topic, payload: m.data, metadata: fromHeaders(m.headers), messageId: m.headers?.get(ID_HEADER) || randomUUID(), timestamp: new Date()}),
      () => sub.unsubscribe(),
    )
  }

  async function subscribeJetStream(topic: string, options: SubscribeOptions): Promise<Subscription> {
    const {client, manager} = await jetStream()
    const stream = streamName(topic)
    try {
      await ensureStream(manager, topic, options.retentionMs)
      if (!options.group) {
        // From the sequence after the last one now held, so a message published once this resolves is seen.
        const lastSeq = (await manager.streams.info(stream)).state.last_seq
        const consumer = await client.consumers.get(stream, options.start === 'earliest' ? {deliver_policy: js!.DeliverPolicy.All} : {deliver_policy: js!.DeliverPolicy.StartSequence, opt_start_seq: lastSeq + 1})
        const iterator = await consumer.consume()
        // Not awaited: the library's close() resolves only after its iteration ends, which our reader may hold at a yield.
        return live(iterator, (m) => toDelivered(topic, m), () => void iterator.close().catch(() => undefined))
      }
      const durable = natsName('group', options.group)
      const ackWait = Math.max(1, options.ackWaitSeconds) * 1e9
      const existing = await manager.consumers.info(stream, durable).catch((err: unknown) => {
        if (err instanceof js!.JetStreamApiError && err.code === js!.JetStreamApiCodes.ConsumerNotFound) return undefined
        throw err
      })
      if (!existing) {
        // A group that exists already keeps its position; `start` only matters when it is created.
        await manager.consumers.add(stream, {durable_name: durable, ack_policy: js!.AckPolicy.Explicit, ack_wait: ackWait, deliver_policy: options.start === 'earliest' ? js!.DeliverPolicy.All : js!.DeliverPolicy.New, max_deliver: -1})
      } else if (existing.config.ack_wait !== ackWait) {
        await manager.consumers.update(stream, durable, {ack_wait: ackWait})
      }
      const consumer = await client.consumers.get(stream, durable)
      const iterator = await consumer.consume({max_messages: PULL_BATCH, idle_heartbeat: PULL_HEARTBEAT_MS})
      return live(
        iterator,
        (m) => toDelivered(topic, m, (m as unknown as {reply: string}).reply),
        async () => {
          // A member that leaves must not leave its pull request waiting: nats-server before 2.10.14 (Debian's is
          // 2.9.10) mishandles a redelivery that finds only pull requests nobody listens to any more. It moves the
          // group's position back by one, so the last message it delivered comes again as new (also when it was
          // acknowledged), and skips the redelivered one until its ack wait lapses again (nats-server #5305). The
          // server drops such requests whenever it reports on the consumer, so ask it right after unsubscribing.
          void iterator.close().catch(() => undefined) // unsubscribes at once; not awaited, as above
          if (up) await manager.consumers.info(stream, durable).catch(() => undefined)
        },
      )
    } catch (err) {
      throw fail(err)
    }
  }

  const messaging: MessagingDriver = {
    support: {persistent: Boolean(js), groups: Boolean(js), ack: Boolean(js)},

    async publish(message: OutgoingMessage, options?: PublishOptions): Promise<string> {
      if (!js) {
        const nc = await connection()
        const id = randomUUID()
        const headers = toHeaders(nats.headers, {...message.metadata})
        headers.set(ID_HEADER, id)
        try {
          nc.publish(subjectOf(message.topic), message.payload, {headers})
          await nc.flush()
        } catch (err) {
          throw fail(err)
        }
        return id
      }
      const {client, manager} = await jetStream()
      const headers = Object.keys(message.metadata).length > 0 ? toHeaders(nats.headers, message.metadata) : undefined
      try {
        await ensureStream(manager, message.topic, options?.retentionMs, true)
        const ack = await client.publish(subjectOf(message.topic), message.payload, headers ? {headers} : {})
        return `${ack.stream}/${ack.seq}`
      } catch (err) {
        throw fail(err)
      }
    },

    subscribe: (topic, options) => (js ? subscribeJetStream(topic, options) : subscribeCore(topic, options)),

    async ack(topic: string, group: string, ackTokens: string[]): Promise<number> {
      if (!js) throw new PrismError(`backend ${backend.name} (NATS without JetStream) does not acknowledge messages`, {code: 'FAILED_PRECONDITION', hint: 'Core NATS delivers at most once; nothing waits for an acknowledgement.'})
      const stream = streamName(topic)
      const consumer = natsName('group', group)
      for (const token of ackTokens) {
        const target = parseAckSubject(token)
        if (!target || target.stream !== stream || target.consumer !== consumer) throw invalidArgument(`"${token.slice(0, 80)}" is not an ack token of topic ${topic}, group ${group}`, 'Pass the ack_token of a message received from Consume with the same topic and group.')
      }
      const nc = await connection()
      // A request to the ack subject is answered once the server has processed the ack (the "double ack").
      const results = await Promise.allSettled(ackTokens.map((token) => nc.request(token, '+ACK', {timeout: REQUEST_TIMEOUT_MS})))
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      // No responders: no consumer of the group listens, so nothing was recorded; never counted as done, since the
      // caller has shown the message already and must not think the group consumed it.
      if (failure?.reason instanceof nats.errors.RequestError && failure.reason.isNoResponders()) {
        throw new PrismError(`backend ${backend.name} recorded no acknowledgement: group ${group} of topic ${topic} has no consumer on the NATS server`, {
          code: 'FAILED_PRECONDITION',
          hint: 'Its JetStream consumer was deleted (consuming with the group creates it anew, from the start position asked for) or, in a cluster, is between leaders (try again).',
        })
      }
      if (failure) throw fail(failure.reason)
      return results.length
    },
  }

  const connectionApi: BackendConnection = {
    messaging,
    async ping() {
      const nc = await connection()
      try {
        await nc.rtt()
      } catch (err) {
        throw fail(err)
      }
    },
    async close() {
      closed = true
      await Promise.allSettled([...subscriptions].map((s) => s.close()))
      const nc = await pending?.catch(() => undefined)
      await nc?.close()
    },
  }
  return connectionApi
}
