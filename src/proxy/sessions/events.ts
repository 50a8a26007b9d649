/**
 * `session.started` and `session.ended` as JSON on the session manager's session-events slot, through the bound
 * backend's MessagingDriver, on the topics `session.started` / `session.ended` scoped by the namespace like every
 * topic the proxy publishes (`NS.session.started`). An event that cannot be published is logged, never fails a call.
 */
import type {BackendConnection} from '../drivers/types.js'
import {scopeTopic} from '../isolation.js'
import {RESERVED_TOPIC_PREFIX} from '../../model/topics.js'
import type {SessionManagerConfig} from './config.js'
import type {EndReason, SessionRecord} from './records.js'

export type SessionEventType = 'session.started' | 'session.ended'

export interface SessionEvent {
  type: SessionEventType
  /** ISO 8601, when it happened. */
  time: string
  id: string
  namespace: string
  principal: string
  subject: string
  email?: string
  groups: string[]
  startedAt: string
  lastSeenAt: string
  expiresAt: string
  /** session.ended only. */
  reason?: EndReason
}

const iso = (ms: number) => new Date(ms).toISOString()

export function sessionEvent(type: SessionEventType, record: SessionRecord, now: number, reason?: EndReason): SessionEvent {
  return {
    type,
    time: iso(now),
    id: record.id,
    namespace: record.namespace,
    principal: record.principal,
    subject: record.subject,
    ...(record.email ? {email: record.email} : {}),
    groups: record.groups,
    startedAt: iso(record.startedAt),
    lastSeenAt: iso(record.lastSeenAt),
    expiresAt: iso(record.expiresAt),
    ...(reason ? {reason} : {}),
  }
}

/** A bound backend's connection; `vaultPath`: the binding's own credentials, when it names them. */
export type Connections = (backend: string, vaultPath?: string) => Promise<BackendConnection>

export function eventPublisher(connections: Connections, log: (line: string) => void) {
  let lastError = ''
  return async (config: SessionManagerConfig, event: SessionEvent): Promise<void> => {
    if (!config.eventsBackend) return
    try {
      const messaging = (await connections(config.eventsBackend, config.eventsVaultPath)).messaging
      if (!messaging) throw new Error(`backend ${config.eventsBackend} cannot publish`)
      await messaging.publish({
        topic: scopeTopic(config.namespace, `${RESERVED_TOPIC_PREFIX}${event.type}`),
        payload: new Uint8Array(Buffer.from(JSON.stringify(event))),
        metadata: {'prism-content-type': 'application/json', 'prism-namespace': config.namespace},
      })
      lastError = ''
    } catch (err) {
      const message = `namespace ${config.namespace}: cannot publish ${event.type} on session-events: ${(err as Error).message}`
      if (message !== lastError) log(message)
      lastError = message
    }
  }
}
