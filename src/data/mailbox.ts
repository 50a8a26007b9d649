/** `mailbox query` and `mailbox get`: through the proxy's MailboxPattern; bodies shown as text, or base64 when not text. */
import {timestampDate, timestampFromDate} from '@bufbuild/protobuf/wkt'

import type {Routing} from '../api/proxy-client.js'
import {parseDuration} from '../config/duration.js'
import {usageError} from '../errors.js'
import {MailboxPattern} from '../gen/prism/patterns/v1/mailbox_pb.js'
import type {MailboxEvent} from '../gen/prism/patterns/v1/mailbox_pb.js'
import {withProxy, type ProxyConnectionOptions} from './connection.js'
import {showBytes} from './payload.js'

export interface MailboxTarget extends ProxyConnectionOptions {
  namespace: string
  /** --pattern, when the namespace has several mailboxes. */
  pattern?: string
}

const routing = (t: MailboxTarget): Routing => ({namespace: t.namespace, pattern: t.pattern})

export interface ShownEvent {
  messageId: string
  timestamp: string
  topic: string
  contentType: string
  schemaId: string
  encryption: string
  correlationId: string
  principal: string
  namespace: string
  customHeaders: Record<string, string>
  bodyBytes: number
  /** With the payload: UTF-8 text, or base64 when the bytes are not text (then encoding says so). */
  payload?: string
  encoding?: 'utf8' | 'base64'
}

export function shownEvent(e: MailboxEvent, withPayload: boolean): ShownEvent {
  const shown: ShownEvent = {
    messageId: e.messageId,
    timestamp: e.timestamp ? timestampDate(e.timestamp).toISOString() : '',
    topic: e.topic,
    contentType: e.contentType,
    schemaId: e.schemaId,
    encryption: e.encryption,
    correlationId: e.correlationId,
    principal: e.principal,
    namespace: e.namespace,
    customHeaders: {...e.customHeaders},
    bodyBytes: e.bodyBytes,
  }
  if (!withPayload) return shown
  const {text, encoding} = showBytes(e.body)
  return {...shown, payload: text, encoding}
}

/** RFC 3339 (2026-01-01T10:00:00Z), or a duration meaning that long ago (15m, 2h, 7d). */
export function parseTime(value: string, flag: string, now = Date.now()): Date {
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const ms = Date.parse(value)
    if (!Number.isNaN(ms)) return new Date(ms)
  } else {
    try {
      return new Date(now - parseDuration(value, flag))
    } catch {
      // falls through to the error below, which names both forms
    }
  }
  throw usageError(`${flag} expects an RFC 3339 time such as 2026-01-01T10:00:00Z, or a duration ago such as 15m or 2h, got "${value}"`)
}

export interface MailboxQueryOptions {
  start?: Date
  end?: Date
  topics: string[]
  principals: string[]
  correlationId?: string
  limit: number
  offset: number
  showPayload: boolean
}

/** A MailboxPattern.Query request (the CLI's, and the bench's). */
export function mailboxQueryRequest(q: {start?: Date; end?: Date; topics: string[]; principals: string[]; correlationId?: string; limit: number; offset: number; includeBody: boolean}) {
  return {
    startTime: q.start && timestampFromDate(q.start),
    endTime: q.end && timestampFromDate(q.end),
    topics: q.topics,
    principals: q.principals,
    correlationId: q.correlationId ?? '',
    limit: q.limit,
    offset: q.offset,
    includeBody: q.includeBody,
  }
}

export async function mailboxQuery(t: MailboxTarget, o: MailboxQueryOptions): Promise<{namespace: string; events: ShownEvent[]; hasMore: boolean}> {
  if (o.start && o.end && o.start >= o.end) throw usageError('--start-time must be before --end-time')
  const r = await withProxy(t, (p) => p.call(MailboxPattern, 'query', mailboxQueryRequest({...o, includeBody: o.showPayload}), routing(t)))
  return {namespace: t.namespace, events: r.events.map((e) => shownEvent(e, o.showPayload)), hasMore: r.hasMore}
}

export async function mailboxGet(t: MailboxTarget, messageId: string, showPayload: boolean): Promise<ShownEvent> {
  return shownEvent(await withProxy(t, (p) => p.call(MailboxPattern, 'get', {messageId}, routing(t))), showPayload)
}
