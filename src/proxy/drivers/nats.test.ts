import {create} from '@bufbuild/protobuf'
import {jetstreamManager} from '@nats-io/jetstream'
import {connect as natsConnect} from '@nats-io/transport-node'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {rejection} from '../../../test/helpers/errors.js'
import {startNats, type TestNats} from '../../../test/helpers/nats.js'
import {bytes, eventually, take, text, redeliveredAfterRestart} from '../../../test/helpers/subscriptions.js'
import {BackendSchema, BackendType} from '../../gen/prism/admin/v1/resources_pb.js'
import {connect, natsName, parseAckSubject} from './nats.js'
import type {BackendConnection, DeliveredMessage} from './types.js'

const PASSWORD = 'nats-secret-pw'

function natsBackend(url: string, jetstream: boolean, password = PASSWORD) {
  return create(BackendSchema, {
    name: 'nats-test',
    type: BackendType.NATS,
    config: {case: 'nats', value: {url, jetstream}},
    credentials: {source: {case: 'static', value: {username: 'prism', password}}},
  })
}

const logs: string[] = []
const open = (url: string, jetstream = true, password = PASSWORD) => connect(natsBackend(url, jetstream, password), {log: (l) => logs.push(l)})

describe('NATS names', () => {
  it('maps topic names to NATS tokens injectively, also when case is folded', () => {
    expect(natsName('topic', 'orders-eu')).toBe('orders-eu')
    expect(natsName('topic', 'Orders.eu *>')).toBe('_4Frders_2Eeu_20_2A_3E')
    expect(natsName('topic', '_')).toBe('_5F')
    expect(natsName('topic', 'ü')).toBe('_C3_BC')
    const names = ['a.b', 'a_2Eb', 'A', 'a', '_41', 'x y']
    expect(new Set(names.map((n) => natsName('topic', n).toLowerCase())).size).toBe(names.length)
    expect(() => natsName('topic', '')).toThrow(/empty/)
    expect(() => natsName('group', 'x'.repeat(201))).toThrow(/too long/)
  })

  it('accepts only JetStream ack subjects as ack tokens', () => {
    expect(parseAckSubject('$JS.ACK.PRISM_t.g.1.2.3.4.0')).toEqual({stream: 'PRISM_t', consumer: 'g'})
    expect(parseAckSubject('$JS.ACK.dom.hash.PRISM_t.g.1.2.3.4.0.tok')).toEqual({stream: 'PRISM_t', consumer: 'g'})
    for (const bad of ['orders', '$JS.API.STREAM.DELETE.x', '$JS.ACK.a.b.>', '$JS.ACK.a.b.1.2.3.4', '$JS.ACK.a..1.2.3.4.0']) expect(parseAckSubject(bad)).toBeUndefined()
  })
})

describe('NATS with JetStream', () => {
  let nats: TestNats
  let driver: BackendConnection
  beforeAll(async () => {
    nats = await startNats({auth: {user: 'prism', password: PASSWORD}})
    driver = await open(nats.url)
  })
  afterAll(async () => {
    try {
      await driver?.close()
    } finally {
      await nats?.stop()
    }
  })

  it('says what it supports and answers ping', async () => {
    expect(driver.messaging!.support).toEqual({persistent: true, groups: true, ack: true})
    expect(driver.keyValue).toBeUndefined()
    await driver.ping()
  })

  it('round-trips a message with metadata, with the id publish returned', async () => {
    const sub = await driver.messaging!.subscribe('round trip.1', {start: 'latest', ackWaitSeconds: 30})
    const id = await driver.messaging!.publish({topic: 'round trip.1', payload: bytes('hello'), metadata: {'content-type': 'text/plain', 'X-Trace': 'abc'}})
    const [m] = await take(sub, 1)
    expect(m).toMatchObject({topic: 'round trip.1', messageId: id, metadata: {'content-type': 'text/plain', 'X-Trace': 'abc'}})
    expect(text(m!)).toBe('hello')
    expect(m!.ackToken).toBeUndefined()
    expect(m!.timestamp).toBeInstanceOf(Date)
    await sub.close()
  })

  it('refuses metadata NATS reserves or cannot carry', async () => {
    for (const metadata of [{'Nats-Msg-Id': 'x'}, {'a b': 'x'}, {k: 'line\nbreak'}] as Record<string, string>[]) {
      expect((await rejection(driver.messaging!.publish({topic: 't', payload: bytes('x'), metadata}))).code).toBe('INVALID_ARGUMENT')
    }
  })

  it('replays from the earliest message, or starts after the latest', async () => {
    await driver.messaging!.publish({topic: 'replay', payload: bytes('old'), metadata: {}})
    const earliest = await driver.messaging!.subscribe('replay', {start: 'earliest', ackWaitSeconds: 30})
    const latest = await driver.messaging!.subscribe('replay', {start: 'latest', ackWaitSeconds: 30})
    await driver.messaging!.publish({topic: 'replay', payload: bytes('new'), metadata: {}})
    expect((await take(earliest, 2)).map(text)).toEqual(['old', 'new'])
    expect((await take(latest, 1)).map(text)).toEqual(['new'])
    await Promise.all([earliest.close(), latest.close()])
  })

  it('shares a group between two subscribers, each message to one of them', async () => {
    const options = {group: 'workers', start: 'earliest' as const, ackWaitSeconds: 30}
    const a = await driver.messaging!.subscribe('jobs', options)
    const b = await driver.messaging!.subscribe('jobs', options)
    const ids = await Promise.all(Array.from({length: 40}, (_, i) => driver.messaging!.publish({topic: 'jobs', payload: bytes(`job-${i}`), metadata: {}})))
    const seen: Record<string, string[]> = {a: [], b: []}
    const total = () => seen.a!.length + seen.b!.length
    await new Promise<void>((resolve, reject) => {
      for (const [name, sub] of [['a', a], ['b', b]] as const) {
        void (async () => {
          const it = sub[Symbol.asyncIterator]()
          while (total() < 40) {
            const next = await it.next()
            if (next.done) break
            seen[name]!.push(next.value.messageId)
            await driver.messaging!.ack('jobs', 'workers', [next.value.ackToken!])
            if (total() === 40) resolve()
          }
        })().catch(reject)
      }
    })
    expect([...seen.a!, ...seen.b!].sort()).toEqual([...ids].sort())
    expect(seen.a!.length).toBeGreaterThan(0)
    expect(seen.b!.length).toBeGreaterThan(0)
    await Promise.all([a.close(), b.close()])
  })

  it('delivers an unacknowledged message again after ackWait', async () => {
    const sub = await driver.messaging!.subscribe('slow', {group: 'slow-group', start: 'latest', ackWaitSeconds: 1})
    const id = await driver.messaging!.publish({topic: 'slow', payload: bytes('again'), metadata: {}})
    const [first, second] = await take(sub, 2)
    expect(first!.messageId).toBe(id)
    expect(second!.messageId).toBe(id)
    expect(await driver.messaging!.ack('slow', 'slow-group', [second!.ackToken!])).toBe(1)
    await sub.close()
  })

  it('accepts an ack from another driver instance (another proxy)', async () => {
    const sub = await driver.messaging!.subscribe('handoff', {group: 'g', start: 'latest', ackWaitSeconds: 30})
    await driver.messaging!.publish({topic: 'handoff', payload: bytes('x'), metadata: {}})
    const [m] = await take(sub, 1)
    const other = await open(nats.url)
    try {
      expect(await other.messaging!.ack('handoff', 'g', [m!.ackToken!])).toBe(1)
      const err = await rejection(other.messaging!.ack('handoff', 'other-group', [m!.ackToken!]))
      expect(err.code).toBe('INVALID_ARGUMENT')
    } finally {
      await other.close()
    }
    // The server recorded it: nothing waits for an ack any more.
    const nc = await natsConnect({servers: nats.url, user: 'prism', pass: PASSWORD})
    const info = await (await jetstreamManager(nc)).consumers.info('PRISM_handoff', 'g')
    await nc.close()
    expect(info.num_ack_pending).toBe(0)
    expect(info.ack_floor.stream_seq).toBe(1)
    await sub.close()
  })

  it("keeps a topic's messages for the retention publishes carry: the stream's max age, set again when it changes", async () => {
    const nc = await natsConnect({servers: nats.url, user: 'prism', pass: PASSWORD})
    const manager = await jetstreamManager(nc)
    const stream = `PRISM_${natsName('topic', 'retained')}`
    try {
      // A subscriber that comes first, with no retention set, creates the stream without a max age (kept for ever).
      const sub = await driver.messaging!.subscribe('retained', {start: 'latest', ackWaitSeconds: 30})
      await sub.close()
      expect((await manager.streams.info(stream)).config.max_age).toBe(0)
      await driver.messaging!.publish({topic: 'retained', payload: bytes('kept'), metadata: {}})
      expect((await manager.streams.info(stream)).config.max_age).toBe(0)
      await driver.messaging!.publish({topic: 'retained', payload: bytes('short-lived'), metadata: {}}, {retentionMs: 1_000})
      expect((await manager.streams.info(stream)).config.max_age).toBe(1e9)
      // The server expires what is older than that.
      await eventually(async () => expect((await manager.streams.info(stream)).state.messages).toBe(0), 100, 100)
      // Another proxy (another driver) publishing with a longer retention sets it again; one without any leaves it.
      const other = await open(nats.url)
      try {
        await other.messaging!.publish({topic: 'retained', payload: bytes('kept'), metadata: {}}, {retentionMs: 3_600_000})
        await other.messaging!.publish({topic: 'retained', payload: bytes('kept too'), metadata: {}})
      } finally {
        await other.close()
      }
      const info = await manager.streams.info(stream)
      expect([info.config.max_age, info.state.messages]).toEqual([3_600 * 1e9, 2])
      expect(logs).toContain(`nats nats-test: stream ${stream} now keeps messages for 3600 s (settings.retention)`)
    } finally {
      await nc.close()
    }
  })

  it('refuses an acknowledgement no consumer answers, rather than counting it as done', async () => {
    const sub = await driver.messaging!.subscribe('deleted', {group: 'doomed', start: 'latest', ackWaitSeconds: 30})
    await driver.messaging!.publish({topic: 'deleted', payload: bytes('x'), metadata: {}})
    const [m] = await take(sub, 1)
    await sub.close()
    const nc = await natsConnect({servers: nats.url, user: 'prism', pass: PASSWORD})
    await (await jetstreamManager(nc)).consumers.delete('PRISM_deleted', 'doomed')
    await nc.close()
    const err = await rejection(driver.messaging!.ack('deleted', 'doomed', [m!.ackToken!]))
    expect(err.code).toBe('FAILED_PRECONDITION')
    expect(err.message).toContain('no acknowledgement')
  })

  it('keeps a group across a proxy restart: nothing acknowledged comes again, nothing published is lost', async () => {
    const options = {group: 'restart', start: 'earliest' as const, ackWaitSeconds: 1}
    const first = await open(nats.url)
    const published: string[] = []
    for (let i = 0; i < 10; i++) published.push(await first.messaging!.publish({topic: 'orders', payload: bytes(`m${i}`), metadata: {}}))
    const sub = await first.messaging!.subscribe('orders', options)
    const received = await take(sub, 4)
    const acked = received.slice(0, 3)
    expect(await first.messaging!.ack('orders', 'restart', acked.map((m) => m.ackToken!))).toBe(3)
    await first.close() // mid-stream: the 4th and whatever was pulled ahead stay unacknowledged

    const second = await open(nats.url)
    try {
      expect(await redeliveredAfterRestart(second, 'orders', options, published, acked)).toEqual([])
    } finally {
      await second.close()
    }
  })

  it('leaves no pull request behind when a group member leaves, so a redelivery due meanwhile repeats nothing', async () => {
    // nats-server before 2.10.14 (here 2.9.10), when a redelivery finds only pull requests nobody listens to, moves
    // the group's position back: the last message delivered comes again as new (delivery count 1), acknowledged or
    // not, and the redelivered one waits another ack wait (nats-server #5305).
    const options = {group: 'leaver', start: 'earliest' as const, ackWaitSeconds: 1}
    const deliveryCount = (m: DeliveredMessage) => Number(m.ackToken!.split('.')[4])
    const published: string[] = []
    for (let i = 0; i < 3; i++) published.push(await driver.messaging!.publish({topic: 'leaver', payload: bytes(`m${i}`), metadata: {}}))
    const first = await driver.messaging!.subscribe('leaver', options)
    expect((await take(first, 3)).map((m) => m.messageId)).toEqual(published)
    await first.close() // nothing acknowledged
    // Past the ack wait with no member: the server redelivers into whatever pull request it still holds.
    await new Promise((r) => setTimeout(r, 2_500))

    const second = await driver.messaging!.subscribe('leaver', options)
    const it = second[Symbol.asyncIterator]()
    const outstanding = new Set(published)
    const again: DeliveredMessage[] = []
    let sentinel: string | undefined
    for (;;) {
      const m = (await it.next()).value as DeliveredMessage
      again.push(m)
      expect(await driver.messaging!.ack('leaver', 'leaver', [m.ackToken!])).toBe(1)
      if (m.messageId === sentinel) break
      outstanding.delete(m.messageId)
      if (outstanding.size === 0 && !sentinel) sentinel = await driver.messaging!.publish({topic: 'leaver', payload: bytes('sentinel'), metadata: {}})
    }
    await second.close()
    // Redeliveries (count 2 and up) are at least once; as new, only the sentinel.
    expect(again.filter((m) => deliveryCount(m) === 1).map((m) => m.messageId)).toEqual([sentinel])
  })

  it('reports a wrong password as UNAVAILABLE without the password', async () => {
    const wrong = await open(nats.url, true, 'not-the-password-xyz')
    const err = await rejection(wrong.ping())
    expect(err.code).toBe('UNAVAILABLE')
    expect(err.message).toContain('nats-test')
    expect(err.message).toContain(nats.url)
    expect(err.message).not.toContain('not-the-password-xyz')
    await wrong.close()
  })
})

describe('NATS outage', () => {
  it('is UNAVAILABLE naming the backend while the server is down, and works again once it is back', async () => {
    const nats = await startNats({auth: {user: 'prism', password: PASSWORD}})
    const driver = await open(nats.url)
    try {
      const sub = await driver.messaging!.subscribe('outage', {group: 'g', start: 'earliest', ackWaitSeconds: 30})
      await driver.messaging!.publish({topic: 'outage', payload: bytes('before'), metadata: {}})
      await nats.kill()
      const err = await eventually(async () => {
        const e = await rejection(driver.ping())
        return e
      })
      expect(err.code).toBe('UNAVAILABLE')
      expect(err.message).toContain('nats-test')
      expect(err.message).toContain(nats.url)
      expect(err.message).not.toContain(PASSWORD)
      expect((await rejection(driver.messaging!.publish({topic: 'outage', payload: bytes('x'), metadata: {}}))).code).toBe('UNAVAILABLE')

      await nats.start()
      await eventually(() => driver.ping())
      await driver.messaging!.publish({topic: 'outage', payload: bytes('after'), metadata: {}})
      // The same subscription resumes after the reconnect; the file store kept the stream and the group.
      const got = await take(sub, 2)
      expect(got.map(text)).toEqual(['before', 'after'])
      await sub.close()
    } finally {
      await driver.close()
      await nats.stop()
    }
  })
})

describe('core NATS (no JetStream)', () => {
  let nats: TestNats
  let driver: BackendConnection
  beforeAll(async () => {
    nats = await startNats({jetstream: false, auth: {user: 'prism', password: PASSWORD}})
    driver = await open(nats.url, false)
  })
  afterAll(async () => {
    try {
      await driver?.close()
    } finally {
      await nats?.stop()
    }
  })

  it('publishes and subscribes at most once, with metadata and the published id', async () => {
    expect(driver.messaging!.support).toEqual({persistent: false, groups: false, ack: false})
    const sub = await driver.messaging!.subscribe('news', {start: 'latest', ackWaitSeconds: 30})
    const id = await driver.messaging!.publish({topic: 'news', payload: bytes('hi'), metadata: {k: 'v'}})
    const [m] = await take(sub, 1)
    expect(m).toMatchObject({messageId: id, metadata: {k: 'v'}})
    expect(m!.ackToken).toBeUndefined()
    await sub.close()
  })

  it('refuses groups and acks as FAILED_PRECONDITION', async () => {
    expect((await rejection(driver.messaging!.subscribe('news', {group: 'g', start: 'latest', ackWaitSeconds: 30}))).code).toBe('FAILED_PRECONDITION')
    expect((await rejection(driver.messaging!.ack('news', 'g', ['x']))).code).toBe('FAILED_PRECONDITION')
  })

  it('says so when the backend is registered with JetStream but the server has it off', async () => {
    const misregistered = await open(nats.url, true)
    try {
      const err = await rejection(misregistered.messaging!.publish({topic: 'news', payload: bytes('x'), metadata: {}}))
      expect(err.code).toBe('FAILED_PRECONDITION')
      expect(err.message).toContain('JetStream')
    } finally {
      await misregistered.close()
    }
  })
})
