/** MailboxPattern: Query and Get over the store behind the namespace's mailbox pattern, within its retention. */
import type * as grpc from '@grpc/grpc-js'
import {create} from '@bufbuild/protobuf'
import {timestampDate, timestampFromDate, type Timestamp} from '@bufbuild/protobuf/wkt'

import type {ServiceHandlers} from '../../api/grpc-service.js'
import {PrismError} from '../../errors.js'
import {MailboxEventSchema, MailboxPattern} from '../../gen/prism/patterns/v1/mailbox_pb.js'
import type {MailboxEvent} from '../../gen/prism/patterns/v1/mailbox_pb.js'
import type {Router} from '../router.js'
import {mailboxSettings} from './settings.js'
import {mailboxStoreOf, QUERY_LIMITS, type StoredEvent} from './store.js'

type Call = grpc.ServerUnaryCall<unknown, unknown>

const invalid = (message: string, hint?: string) => new PrismError(message, {code: 'INVALID_ARGUMENT', hint})

export function toProto(e: StoredEvent): MailboxEvent {
  return create(MailboxEventSchema, {
    messageId: e.messageId,
    timestamp: timestampFromDate(e.timestamp),
    topic: e.topic,
    contentType: e.contentType,
    schemaId: e.schemaId,
    encryption: e.encryption,
    correlationId: e.correlationId,
    principal: e.principal,
    namespace: e.namespace,
    customHeaders: e.customHeaders,
    body: e.body ?? new Uint8Array(),
    bodyBytes: e.bodyBytes,
  })
}

function checkList(name: string, values: string[]): void {
  if (values.length > QUERY_LIMITS.maxFilterValues) throw invalid(`at most ${QUERY_LIMITS.maxFilterValues} ${name} per query, got ${values.length}`)
}

export function mailboxHandlers(router: Router, now: () => number = Date.now): ServiceHandlers<(typeof MailboxPattern)['method']> {
  async function mailbox(call: Call) {
    const routed = await router(call, 'mailbox')
    const {target} = routed
    const store = mailboxStoreOf(routed.connection, target.backend, ` (pattern ${target.pattern.name} of namespace ${target.route.namespace})`)
    // What is older than the retention is gone, whether or not the pruner has deleted it yet.
    const oldest = new Date(now() - mailboxSettings(target.pattern).retentionMs)
    return {store, box: {namespace: target.route.namespace, pattern: target.pattern.name}, oldest}
  }

  const date = (t: Timestamp | undefined) => (t ? timestampDate(t) : undefined)

  return {
    query: async (req, call) => {
      const limit = req.limit || QUERY_LIMITS.defaultLimit
      if (limit > QUERY_LIMITS.maxLimit) throw invalid(`limit ${limit} is above the maximum of ${QUERY_LIMITS.maxLimit}`, 'Page with --offset.')
      if (req.offset > QUERY_LIMITS.maxOffset) throw invalid(`offset ${req.offset} is above the maximum of ${QUERY_LIMITS.maxOffset}`, 'Narrow the query with a time range.')
      checkList('topics', req.topics)
      checkList('principals', req.principals)
      const start = date(req.startTime)
      const end = date(req.endTime)
      if (start && end && start >= end) throw invalid('the start time must be before the end time')
      const {store, box, oldest} = await mailbox(call)
      const r = await store.query(box, {
        start: start && start > oldest ? start : oldest,
        end,
        topics: req.topics,
        principals: req.principals,
        correlationId: req.correlationId || undefined,
        limit,
        offset: req.offset,
      })
      if (!req.includeBody) return {events: r.events.map(toProto), hasMore: r.hasMore}
      // Bodies up to the page's byte budget, by their sizes known from the query: a page that reaches it ends
      // early, with has_more, and the next one starts at offset + the events returned.
      let bytes = 0
      let fits = 0
      for (const e of r.events) {
        if (fits > 0 && bytes + e.bodyBytes > QUERY_LIMITS.maxPageBodyBytes) break
        bytes += e.bodyBytes
        fits++
      }
      const page = r.events.slice(0, fits)
      const bodies = await store.bodies(box, page.map((e) => e.messageId))
      return {events: page.map((e) => toProto({...e, body: bodies.get(e.messageId) ?? new Uint8Array()})), hasMore: r.hasMore || fits < r.events.length}
    },
    get: async (req, call) => {
      if (!req.messageId) throw invalid('a message id is required')
      const {store, box, oldest} = await mailbox(call)
      const e = await store.get(box, req.messageId)
      if (!e || e.timestamp < oldest) {
        throw new PrismError(`message ${req.messageId.slice(0, 200)} is not in mailbox ${box.pattern} of namespace ${box.namespace}`, {
          code: 'NOT_FOUND',
          hint: `Find ids with: prismctl mailbox query ${box.namespace}`,
        })
      }
      return toProto(e)
    },
  }
}
