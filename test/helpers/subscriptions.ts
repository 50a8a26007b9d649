import type {DeliveredMessage, Subscription} from '../../src/proxy/drivers/types.js'

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
