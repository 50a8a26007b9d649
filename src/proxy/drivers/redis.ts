/**
 * Redis: keyvalue with TTL, native scan (SCAN MATCH) and batches (MGET, MULTI), and core pub/sub. Pub/sub messages
 * carry an envelope (id, time, metadata, payload) because Redis delivers only a payload; pub/sub is fire-and-forget:
 * no persistence, no groups, nothing to acknowledge. Commands fail fast while the connection is down (no offline
 * queue), and the client reconnects by itself with backoff.
 */
import {randomUUID} from 'node:crypto'

import {isPrismError, PrismError} from '../../errors.js'
import type {Backend} from '../../gen/prism/admin/v1/resources_pb.js'
import type {BackendConnection, Connect, ConnectOptions, DeliveredMessage, KeyValueDriver, MessagingDriver, OutgoingMessage, Subscription} from './types.js'
import {backendConfig, scrub, staticCredentials, unavailable} from './backend-config.js'

/** Keys SCAN asks for per round trip. */
const SCAN_COUNT = 500

interface Envelope {
  id: string
  ts: number
  md: Record<string, string>
  /** base64 */
  p: string
}

/** SCAN MATCH is a glob: the prefix's own glob characters must match literally. */
export function globEscape(prefix: string): string {
  return prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)
}

export const connect: Connect = async (backend: Backend, options: ConnectOptions): Promise<BackendConnection> => {
  const {createClient, RESP_TYPES} = await import('@redis/client')
  const config = backendConfig(backend, 'redis')
  const address = config.address || 'localhost:6379'
  const [host, port] = splitHostPort(address, 6379)
  const secret = staticCredentials(backend)
  const base = createClient({
    socket: {
      host,
      port,
      tls: config.tls || undefined,
      connectTimeout: 5000,
      // Back off to 2 s between attempts, for ever: a restarted Redis is picked up without a proxy restart.
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** Math.min(retries, 5), 2000),
    },
    database: config.database || undefined,
    username: secret?.username || undefined,
    password: secret?.password || secret?.token || undefined,
    disableOfflineQueue: true,
  })
  let lastError = ''
  base.on('error', (err: Error) => {
    if (err.message !== lastError) options.log(`backend ${backend.name} (redis ${address}): ${err.message}`)
    lastError = err.message
  })
  base.on('ready', () => {
    if (lastError) options.log(`backend ${backend.name} (redis ${address}): connected`)
    lastError = ''
  })
  const client = base.withTypeMapping({[RESP_TYPES.BLOB_STRING]: Buffer})
  // The first connection is not awaited here: a Redis that is down now must not stop the proxy from serving the rest.
  // Calls that come while it is under way wait for its outcome (at most connectTimeout) instead of failing at once.
  // (connect() keeps retrying while Redis is down, so the wait is bounded separately.)
  let connecting: Promise<void> | undefined = Promise.race([
    base.connect().then(
      () => {},
      () => {},
    ),
    new Promise<void>((resolve) => setTimeout(resolve, 5000).unref()),
  ]).finally(() => (connecting = undefined))
  // Not connected: UNAVAILABLE, and the client reconnects by itself; connected: Redis answered with an error.
  const down = (err: unknown) =>
    isPrismError(err) ? err : base.isReady ? new PrismError(`backend ${backend.name} (redis ${address}) failed: ${scrub((err as Error)?.message ?? String(err), backend)}`, {code: 'INTERNAL', cause: err}) : unavailable(backend, `redis ${address}`, err)

  // On the hot path of every call: no async frame of its own, only the rejection is mapped.
  function call<T>(fn: () => Promise<T>): Promise<T> {
    if (connecting) return connecting.then(() => call(fn))
    try {
      return fn().catch((err: unknown) => Promise.reject(down(err)))
    } catch (err) {
      return Promise.reject(down(err))
    }
  }

  const keyValue: KeyValueDriver = {
    support: {expiration: true, scan: 'native', batch: 'native', transactions: true},
    get: (key) => call(() => client.get(key)).then((v) => v ?? undefined),
    set: (key, value, ttlSeconds) => call(async () => void (await client.set(key, Buffer.from(value), ttlSeconds === undefined ? undefined : {EX: ttlSeconds}))),
    delete: (key) => call(async () => (await client.del(key)) > 0),
    exists: (key) => call(async () => (await client.exists(key)) > 0),
    expire: (key, ttlSeconds) => call(async () => Number(await client.expire(key, ttlSeconds)) === 1),
    ttl: (key) =>
      call(async () => {
        const ttl = await client.ttl(key)
        return ttl === -2 ? undefined : ttl
      }),
    async *scan(prefix, limit, keysOnly) {
      let cursor = '0'
      const seen = new Set<string>()
      do {
        const page = await call(() => base.scan(cursor, {MATCH: `${globEscape(prefix)}*`, COUNT: SCAN_COUNT}))
        cursor = String(page.cursor)
        // SCAN may return a key more than once; and values are read per page, so a key deleted meanwhile is skipped.
        const keys = page.keys.map(String).filter((k) => !seen.has(k)).sort()
        const values = keysOnly || keys.length === 0 ? [] : await call(() => client.mGet(keys))
        for (const [i, key] of keys.entries()) {
          if (seen.size >= limit) return
          seen.add(key)
          if (keysOnly) yield {key}
          else if (values[i] != null) yield {key, value: values[i] as Buffer}
        }
      } while (cursor !== '0')
    },
    setMany: (entries) =>
      call(async () => {
        const multi = client.multi()
        for (const e of entries) multi.set(e.key, Buffer.from(e.value), e.ttlSeconds === undefined ? undefined : {EX: e.ttlSeconds})
        await multi.exec()
      }),
    getMany: (keys) => call(async () => (await client.mGet(keys)).map((v) => (v == null ? undefined : (v as Buffer)))),
  }

  const subscribers = new Set<{destroy(): void}>()
  const messaging: MessagingDriver = {
    support: {persistent: false, groups: false, ack: false},
    async publish(message: OutgoingMessage) {
      const id = randomUUID()
      const envelope: Envelope = {id, ts: Date.now(), md: message.metadata, p: Buffer.from(message.payload).toString('base64')}
      await call(() => base.publish(message.topic, JSON.stringify(envelope)))
      return id
    },
    async subscribe(topic) {
      const subscriber = base.duplicate()
      subscriber.on('error', () => {})
      subscribers.add(subscriber)
      const queue: DeliveredMessage[] = []
      let wake: (() => void) | undefined
      let closed = false
      try {
        await call(() => subscriber.connect())
        await call(() =>
          subscriber.subscribe(topic, (raw: string) => {
            const envelope = parseEnvelope(raw)
            queue.push(
              envelope
                ? {topic, payload: Buffer.from(envelope.p, 'base64'), metadata: envelope.md ?? {}, messageId: envelope.id, timestamp: new Date(envelope.ts)}
                : // Published by something other than a proxy: the whole message is the payload.
                  {topic, payload: Buffer.from(raw), metadata: {}, messageId: randomUUID(), timestamp: new Date()},
            )
            wake?.()
          }),
        )
      } catch (err) {
        subscribers.delete(subscriber)
        subscriber.destroy()
        throw err
      }
      const close = async () => {
        if (closed) return
        closed = true
        subscribers.delete(subscriber)
        subscriber.destroy()
        wake?.()
      }
      const subscription: Subscription = {
        close,
        async *[Symbol.asyncIterator]() {
          try {
            while (true) {
              const next = queue.shift()
              if (next) yield next
              else if (closed) return
              else await new Promise<void>((resolve) => (wake = resolve))
            }
          } finally {
            await close()
          }
        },
      }
      return subscription
    },
    async ack() {
      throw new PrismError(`backend ${backend.name} (redis pub/sub) does not acknowledge messages`, {code: 'FAILED_PRECONDITION', hint: 'Consume without --group, or bind a NATS JetStream, Kafka or PostgreSQL backend.'})
    },
  }

  return {
    keyValue,
    messaging,
    ping: () => call(async () => void (await base.ping())),
    async close() {
      for (const s of subscribers) s.destroy()
      subscribers.clear()
      base.destroy()
    },
  }
}

function parseEnvelope(raw: string): Envelope | undefined {
  try {
    const value = JSON.parse(raw) as Envelope
    return typeof value?.id === 'string' && typeof value.p === 'string' ? value : undefined
  } catch {
    return undefined
  }
}

function splitHostPort(address: string, defaultPort: number): [string, number] {
  const i = address.lastIndexOf(':')
  if (i <= 0) return [address, defaultPort]
  return [address.slice(0, i).replace(/^\[|\]$/g, ''), Number(address.slice(i + 1)) || defaultPort]
}
