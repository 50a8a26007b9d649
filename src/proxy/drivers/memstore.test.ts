import {describe, expect, it} from 'vitest'
import {create} from '@bufbuild/protobuf'

import {BackendSchema, BackendType} from '../../gen/prism/admin/v1/resources_pb.js'
import {connect} from './memstore.js'
import {bytes, text} from '../../../test/helpers/subscriptions.js'
import type {DeliveredMessage, Subscription} from './types.js'

const backend = (maxKeys = 0) => create(BackendSchema, {name: 'mem-test', type: BackendType.MEMSTORE, config: {case: 'memstore', value: {maxKeys}}})

/** One iterator per subscription, and the next() still pending when take() last gave up waiting. */
const readers = new WeakMap<Subscription, {it: AsyncIterator<DeliveredMessage>; pending?: Promise<IteratorResult<DeliveredMessage>>}>()

/** The next `n` messages of a subscription, or fewer if none comes for `idleMs`. */
async function take(sub: Subscription, n: number, idleMs = 300): Promise<DeliveredMessage[]> {
  let reader = readers.get(sub)
  if (!reader) readers.set(sub, (reader = {it: sub[Symbol.asyncIterator]()}))
  const got: DeliveredMessage[] = []
  while (got.length < n) {
    const pending = (reader.pending ??= reader.it.next())
    const next = await Promise.race([pending, new Promise<'idle'>((r) => setTimeout(() => r('idle'), idleMs))])
    if (next === 'idle') break
    reader.pending = undefined
    if (next.done) break
    got.push(next.value)
  }
  return got
}

describe('memstore keyvalue', () => {
  it('stores copies, expires keys, scans by prefix in order and enforces max_keys', async () => {
    const c = await connect(backend(3), {log: () => {}})
    const kv = c.keyValue!
    const value = bytes('v1')
    await kv.set('a:1', value)
    value[0] = 0x58 // the caller's buffer changing later does not change what is stored
    expect(Buffer.from((await kv.get('a:1'))!).toString()).toBe('v1')
    await kv.set('a:2', bytes('v2'), 1)
    expect(await kv.ttl('a:2')).toBe(1)
    expect(await kv.ttl('a:1')).toBe(-1)
    expect(await kv.ttl('zzz')).toBeUndefined()
    await kv.set('b:1', bytes('v3'))
    await expect(kv.set('c:1', bytes('x'))).rejects.toThrow(/holds its maximum of 3 keys/)
    const scanned: string[] = []
    for await (const e of kv.scan('a:', 10, true)) scanned.push(e.key)
    expect(scanned).toEqual(['a:1', 'a:2'])
    await new Promise((r) => setTimeout(r, 1100))
    expect(await kv.exists('a:2')).toBe(false)
    // The expired key no longer counts against max_keys.
    await kv.set('c:1', bytes('x'))
    expect(await kv.delete('c:1')).toBe(true)
    expect(await kv.delete('c:1')).toBe(false)
    await c.close()
  })
})

describe('memstore messaging', () => {
  it('replays from earliest for a new ephemeral subscriber and only new messages from latest', async () => {
    const c = await connect(backend(), {log: () => {}})
    const m = c.messaging!
    await m.publish({topic: 't', payload: bytes('one'), metadata: {k: 'v'}})
    const earliest = await m.subscribe('t', {start: 'earliest', ackWaitSeconds: 30})
    const latest = await m.subscribe('t', {start: 'latest', ackWaitSeconds: 30})
    await m.publish({topic: 't', payload: bytes('two'), metadata: {}})
    expect((await take(earliest, 2)).map(text)).toEqual(['one', 'two'])
    const fromLatest = await take(latest, 2)
    expect(fromLatest.map(text)).toEqual(['two'])
    expect(fromLatest[0]!.ackToken).toBeUndefined()
    await earliest.close()
    await latest.close()
    await c.close()
  })

  it('shares a group, redelivers what was not acknowledged, and hands a leaving member’s messages to the others', async () => {
    const c = await connect(backend(), {log: () => {}})
    const m = c.messaging!
    for (const n of ['1', '2', '3', '4']) await m.publish({topic: 'jobs', payload: bytes(n), metadata: {}})
    const a = await m.subscribe('jobs', {group: 'g', start: 'earliest', ackWaitSeconds: 1})
    const b = await m.subscribe('jobs', {group: 'g', start: 'earliest', ackWaitSeconds: 1})
    await m.publish({topic: 'jobs', payload: bytes('5'), metadata: {}})
    const gotA = await take(a, 5)
    const gotB = await take(b, 5)
    // Everything exactly once across the group, both members getting a share.
    expect([...gotA, ...gotB].map(text).sort()).toEqual(['1', '2', '3', '4', '5'])
    expect(gotB.length).toBeGreaterThan(0)
    expect(await m.ack('jobs', 'g', gotA.map((x) => x.ackToken!))).toBe(gotA.length)
    // b acknowledges nothing and leaves: its messages go to a at once.
    await b.close()
    expect((await take(a, gotB.length)).map(text).sort()).toEqual(gotB.map(text).sort())
    // a does not acknowledge them either: they come again after the ack wait.
    const again = await take(a, gotB.length, 2000)
    expect(again.map(text).sort()).toEqual(gotB.map(text).sort())
    expect(await m.ack('jobs', 'g', again.map((x) => x.ackToken!))).toBe(gotB.length)
    expect(await take(a, 1, 1500)).toEqual([])
    await a.close()
    await c.close()
  })
})
