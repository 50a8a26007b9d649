// Against librdkafka's mock cluster (test/helpers/kafka-mock.ts): a Kafka-protocol test peer, not a Kafka. What passes
// here is the driver's use of the protocol (produce with headers, group membership, offset commits, resuming from
// them); broker-side behaviour such as replication, retention and real rebalancing timing is not tested.
import {create} from '@bufbuild/protobuf'
import kafkajs from 'kafkajs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {rejection} from '../../../test/helpers/errors.js'
import {type KafkaMock, startKafkaMock} from '../../../test/helpers/kafka-mock.js'
import {freePort} from '../../../test/helpers/ports.js'
import {bytes, take, text} from '../../../test/helpers/subscriptions.js'
import {BackendSchema, BackendType} from '../../gen/prism/admin/v1/resources_pb.js'
import {connect} from './kafka.js'
import type {BackendConnection, DeliveredMessage} from './types.js'

function kafkaBackend(brokers: string[], password?: string) {
  return create(BackendSchema, {
    name: 'kafka-test',
    type: BackendType.KAFKA,
    config: {case: 'kafka', value: {brokers, clientId: 'prism-test'}},
    ...(password ? {credentials: {source: {case: 'static', value: {username: 'prism', password}}}} : {}),
  })
}
const logs: string[] = []
const open = (brokers: string[], password?: string) => connect(kafkaBackend(brokers, password), {log: (l) => logs.push(l)})

let mock: KafkaMock
let driver: BackendConnection
beforeAll(async () => {
  mock = await startKafkaMock()
  driver = await open([mock.broker])
})
afterAll(async () => {
  try {
    await driver?.close()
  } finally {
    await mock?.stop()
  }
})

async function committedTotal(groupId: string, topic: string): Promise<number> {
  const admin = new kafkajs.Kafka({brokers: [mock.broker], logLevel: kafkajs.logLevel.NOTHING}).admin()
  await admin.connect()
  try {
    const [offsets] = await admin.fetchOffsets({groupId, topics: [topic]})
    return offsets!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0)
  } finally {
    await admin.disconnect()
  }
}

describe('Kafka driver (against the librdkafka mock cluster)', () => {
  it('produces with headers and consumes them in a group, acking by committing', {timeout: 60_000}, async () => {
    expect(driver.messaging!.support).toEqual({persistent: true, groups: true, ack: true})
    await driver.ping()
    const id = await driver.messaging!.publish({topic: 'orders', payload: bytes('first'), metadata: {'content-type': 'text/plain', trace: 'abc'}})
    expect(id).toMatch(/^orders\/\d+\/0$/)
    const sub = await driver.messaging!.subscribe('orders', {group: 'billing', start: 'earliest', ackWaitSeconds: 30})
    const [m] = await take(sub, 1)
    expect(m).toMatchObject({topic: 'orders', messageId: id, ackToken: id, metadata: {'content-type': 'text/plain', trace: 'abc'}})
    expect(text(m!)).toBe('first')
    expect(m!.timestamp.getTime()).toBeGreaterThan(Date.parse('2026-01-01'))
    expect(await committedTotal('billing', 'orders')).toBe(0)
    expect(await driver.messaging!.ack('orders', 'billing', [m!.ackToken!])).toBe(1)
    expect(await committedTotal('billing', 'orders')).toBe(1)

    // Another proxy is no member of the group: Kafka would not take its commit, so it says so.
    const other = await open([mock.broker])
    try {
      const err = await rejection(other.messaging!.ack('orders', 'billing', [m!.ackToken!]))
      expect(err.code).toBe('FAILED_PRECONDITION')
      expect(err.message).toContain('kafka-test')
    } finally {
      await other.close()
    }
    expect((await rejection(driver.messaging!.ack('orders', 'billing', ['other/0/1']))).code).toBe('INVALID_ARGUMENT')
    await sub.close()
  })

  it('resumes a group after its committed offsets in a new member (a restarted proxy)', {timeout: 90_000}, async () => {
    const first = await open([mock.broker])
    const published: string[] = []
    for (let i = 0; i < 5; i++) published.push(await first.messaging!.publish({topic: 'jobs', payload: bytes(`job-${i}`), metadata: {}}))
    const sub = await first.messaging!.subscribe('jobs', {group: 'workers', start: 'earliest', ackWaitSeconds: 30})
    const got = await take(sub, 5)
    expect(got.map((m) => m.messageId).sort()).toEqual([...published].sort())
    expect(await first.messaging!.ack('jobs', 'workers', got.map((m) => m.ackToken!))).toBe(5)
    expect(await committedTotal('workers', 'jobs')).toBe(5)
    await first.close()

    const second = await open([mock.broker])
    try {
      const later = [await second.messaging!.publish({topic: 'jobs', payload: bytes('job-5'), metadata: {}}), await second.messaging!.publish({topic: 'jobs', payload: bytes('job-6'), metadata: {}})]
      const resumed = await second.messaging!.subscribe('jobs', {group: 'workers', start: 'earliest', ackWaitSeconds: 30})
      const sentinel = await second.messaging!.publish({topic: 'jobs', payload: bytes('sentinel'), metadata: {}})
      const seen: DeliveredMessage[] = []
      const it = resumed[Symbol.asyncIterator]()
      while (!(seen.some((m) => m.messageId === sentinel) && later.every((id) => seen.some((m) => m.messageId === id)))) seen.push((await it.next()).value as DeliveredMessage)
      expect(seen.filter((m) => published.includes(m.messageId))).toEqual([])
      expect(seen).toHaveLength(3)
      await resumed.close()
    } finally {
      await second.close()
    }
  })

  it('reads from the beginning or only what comes next without a group, committing nothing', {timeout: 60_000}, async () => {
    await driver.messaging!.publish({topic: 'news', payload: bytes('old'), metadata: {}})
    const [earliest, latest] = await Promise.all([
      driver.messaging!.subscribe('news', {start: 'earliest', ackWaitSeconds: 30}),
      driver.messaging!.subscribe('news', {start: 'latest', ackWaitSeconds: 30}),
    ])
    await driver.messaging!.publish({topic: 'news', payload: bytes('new'), metadata: {}})
    const fromStart = await take(earliest, 2)
    expect(fromStart.map(text).sort()).toEqual(['new', 'old'])
    expect(fromStart[0]!.ackToken).toBeUndefined()
    expect((await take(latest, 1)).map(text)).toEqual(['new'])
    await Promise.all([earliest.close(), latest.close()])
  })

  it('is UNAVAILABLE naming the backend and its brokers when none answers, never the password', async () => {
    const broker = `127.0.0.1:${await freePort()}`
    const down = await open([broker], 'kafka-secret-pw')
    try {
      for (const call of [() => down.ping(), () => down.messaging!.publish({topic: 't', payload: bytes('x'), metadata: {}})]) {
        const err = await rejection(call())
        expect(err.code).toBe('UNAVAILABLE')
        expect(err.message).toContain('kafka-test')
        expect(err.message).toContain(broker)
        expect(err.message).not.toContain('kafka-secret-pw')
      }
    } finally {
      await down.close()
    }
    expect(logs.join('\n')).not.toContain('kafka-secret-pw')
  })
})
