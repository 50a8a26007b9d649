/**
 * ProducerPattern and ConsumerPattern: publish (the proxy stamps the caller's principal and the namespace into the
 * metadata: message-metadata.ts), consume (server streaming, at least once) and acknowledge.
 */
import type * as grpc from '@grpc/grpc-js'
import {create} from '@bufbuild/protobuf'
import {timestampFromDate} from '@bufbuild/protobuf/wkt'

import type {ServiceHandlers} from '../api/grpc-service.js'
import {PrismError} from '../errors.js'
import {ConsumerPattern, MessageSchema, ProducerPattern, StartPosition} from '../gen/prism/patterns/v1/messaging_pb.js'
import type {MessagingDriver} from './drivers/types.js'
import {scopeGroup, scopeTopic, unscopeTopic} from './isolation.js'
import {checkBatch, checkMessage, checkTopic, LIMITS} from './limits.js'
import {stampMetadata} from './message-metadata.js'
import {messageRetentionMs} from './retention.js'
import type {Router} from './router.js'
import type {Family} from './routing.js'
import {writeWithBackpressure} from './streams.js'

type Call = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>

const DEFAULT_ACK_WAIT_SECONDS = 30
const GROUP = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/

/** Every subscription a Consume stream holds, so that shutdown can end them. */
export type OpenStreams = Set<{close(): Promise<void>}>

function messagingOf(router: Router) {
  return async (call: Call, family: Family) => {
    const routed = await router(call, family)
    const driver = routed.connection.messaging
    if (!driver) {
      throw new PrismError(`backend ${routed.target.backend} cannot carry messages (pattern ${routed.target.pattern.name} of namespace ${routed.target.route.namespace})`, {
        code: 'FAILED_PRECONDITION',
        hint: 'Bind the slot to a backend with pubsub_basic or queue_basic (nats, kafka, redis, postgres, memstore).',
      })
    }
    const namespace = routed.target.route.namespace
    return {driver, topic: (t: string) => scopeTopic(namespace, t), namespace, target: routed.target, routed}
  }
}

function needGroups(driver: MessagingDriver, backend: string, what: string): void {
  if (!driver.support.groups || !driver.support.ack) {
    throw new PrismError(`backend ${backend} has no ${what}: it does not keep consumer groups or acknowledgements`, {
      code: 'FAILED_PRECONDITION',
      hint: 'Consume without a group, or bind NATS with JetStream, Kafka, PostgreSQL or memstore.',
    })
  }
}

function checkGroup(group: string): void {
  if (group && !GROUP.test(group)) throw new PrismError(`invalid group "${group.slice(0, 64)}"`, {code: 'INVALID_ARGUMENT', hint: 'Groups use letters, digits, "_" and "-" (at most 128).'})
}

export function producerHandlers(router: Router): ServiceHandlers<(typeof ProducerPattern)['method']> {
  const messaging = messagingOf(router)
  return {
    getCapabilities: async (_req, call) => {
      const {driver, target, routed} = await messaging(call, 'producer')
      return {
        persistent: driver.support.persistent,
        supportsBatch: true,
        pattern: target.pattern.name,
        backend: target.backend,
        backendType: routed.backendType,
        maxPayloadBytes: LIMITS.payloadBytes,
        maxMetadataEntries: LIMITS.metadataEntries,
        maxBatchMessages: LIMITS.batchEntries,
      }
    },
    publish: async (req, call) => {
      checkMessage(req.topic, req.payload, req.metadata)
      const {driver, topic, namespace, routed, target} = await messaging(call, 'producer')
      return {messageId: await driver.publish({topic: topic(req.topic), payload: req.payload, metadata: stampMetadata(req.metadata, routed.principal, namespace)}, {retentionMs: messageRetentionMs(target.route, target.backend)})}
    },
    publishBatch: async (req, call) => {
      checkBatch(req.messages.length)
      for (const m of req.messages) checkMessage(m.topic, m.payload, m.metadata)
      const {driver, topic, namespace, routed, target} = await messaging(call, 'producer')
      const options = {retentionMs: messageRetentionMs(target.route, target.backend)}
      const stamped = req.messages.map((m) => stampMetadata(m.metadata, routed.principal, namespace))
      // In order: a batch keeps its messages' order on backends that order a topic.
      const ids: string[] = []
      for (const [i, m] of req.messages.entries()) ids.push(await driver.publish({topic: topic(m.topic), payload: m.payload, metadata: stamped[i]!}, options))
      return {messageIds: ids}
    },
  }
}

export function consumerHandlers(grpcModule: typeof grpc, router: Router, open: OpenStreams): ServiceHandlers<(typeof ConsumerPattern)['method']> {
  const messaging = messagingOf(router)
  return {
    getCapabilities: async (_req, call) => {
      const {driver, target, routed} = await messaging(call, 'consumer')
      return {
        persistent: driver.support.persistent,
        supportsGroups: driver.support.groups,
        supportsAck: driver.support.ack,
        supportsReplay: driver.support.persistent,
        pattern: target.pattern.name,
        backend: target.backend,
        backendType: routed.backendType,
      }
    },
    consume: async (req, call) => {
      checkTopic(req.topic)
      checkGroup(req.group)
      const {driver, target, topic, namespace} = await messaging(call, 'consumer')
      if (req.group) needGroups(driver, target.backend, 'consumer groups')
      const subscription = await driver.subscribe(topic(req.topic), {
        group: req.group ? scopeGroup(namespace, req.group) : undefined,
        start: req.start === StartPosition.EARLIEST ? 'earliest' : 'latest',
        ackWaitSeconds: req.ackWaitSeconds || DEFAULT_ACK_WAIT_SECONDS,
        retentionMs: messageRetentionMs(target.route, target.backend),
      })
      open.add(subscription)
      const end = () => void subscription.close()
      call.once('cancelled', end)
      // Headers go out now, so the client knows the subscription is in place before the first message arrives.
      call.sendMetadata(new grpcModule.Metadata())
      try {
        for await (const m of subscription) {
          if (call.cancelled) break
          const message = create(MessageSchema, {
            topic: unscopeTopic(namespace, m.topic),
            payload: m.payload,
            metadata: m.metadata,
            messageId: m.messageId,
            timestamp: timestampFromDate(m.timestamp),
            ackToken: m.ackToken ?? '',
          })
          await writeWithBackpressure(call as grpc.ServerWritableStream<unknown, unknown>, message)
        }
      } finally {
        call.off('cancelled', end)
        open.delete(subscription)
        await subscription.close()
      }
    },
    ack: async (req, call) => {
      checkTopic(req.topic)
      checkGroup(req.group)
      if (!req.group) throw new PrismError('an acknowledgement needs the group the messages were consumed in', {code: 'INVALID_ARGUMENT'})
      if (req.ackTokens.length > LIMITS.batchEntries) throw new PrismError(`at most ${LIMITS.batchEntries} acknowledgements per call`, {code: 'INVALID_ARGUMENT'})
      const {driver, target, topic, namespace} = await messaging(call, 'consumer')
      needGroups(driver, target.backend, 'acknowledgements')
      return {acknowledged: await driver.ack(topic(req.topic), scopeGroup(namespace, req.group), req.ackTokens)}
    },
  }
}
