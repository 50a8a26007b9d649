import type {BackendConnection, DeliveredMessage, SubscribeOptions, Subscription} from '../../src/proxy/drivers/types.js'

/** The next n messages of a subscription, without ending it (a `for await … break` would). */
export async function take(sub: Subscription, n: number): Promise<DeliveredMessage[]> {
  const iterator = sub[Symbol.asyncIterator]()
  const out: DeliveredMessage[] = []
  while (out.length < n) {
    const next = await iterator.next()
    if (next.done) throw new Error(`the subscription ended after ${out.length} of ${n} messages`)
    out.push(next.value)
  }
  return out
}

export const text = (m: DeliveredMessage) => Buffer.from(m.payload).toString()
export const bytes = (s: string) => new Uint8Array(Buffer.from(s))

/** Calls fn until it stops throwing, at most `tries` times, `delayMs` apart; rethrows the last failure. */
export async function eventually<T>(fn: () => Promise<T>, tries = 100, delayMs = 100): Promise<T> {
  let last: unknown
  for (let i = 0; i < tries; i++) {
    try {
      return await fn()
    } catch (err) {
      last = err
      await new Promise((r) => setTimeout(r, delayMs))
    }
  }
  throw last
}

/**
 * The second half of a "group across a proxy restart" test: `second` (a fresh connection, as a restarted proxy
 * would have) publishes five more to `topic`, consumes the group, and acknowledges until every message that was not
 * acknowledged before has come; then a sentinel shows whether anything else was still coming. Returns what was
 * delivered again although acknowledged (it must be nothing), and fails if a published message never comes.
 */
export async function redeliveredAfterRestart(second: BackendConnection, topic: string, options: SubscribeOptions, published: string[], acked: DeliveredMessage[]): Promise<DeliveredMessage[]> {
  const messaging = second.messaging!
  for (let i = 10; i < 15; i++) published.push(await messaging.publish({topic, payload: bytes(`m${i}`), metadata: {}}))
  const resumed = await messaging.subscribe(topic, options)
  const ackedIds = new Set(acked.map((m) => m.messageId))
  const outstanding = new Set(published.filter((id) => !ackedIds.has(id)))
  const deliveries: DeliveredMessage[] = []
  const it = resumed[Symbol.asyncIterator]()
  while (outstanding.size > 0) {
    const m = (await it.next()).value as DeliveredMessage
    deliveries.push(m)
    outstanding.delete(m.messageId)
    await messaging.ack(topic, options.group!, [m.ackToken!])
  }
  const sentinel = await messaging.publish({topic, payload: bytes('sentinel'), metadata: {}})
  for (;;) {
    const m = (await it.next()).value as DeliveredMessage
    deliveries.push(m)
    if (m.messageId === sentinel) break
  }
  await resumed.close()
  return deliveries.filter((m) => ackedIds.has(m.messageId))
}
