/** A consumed message as a mailbox event: upstream's metadata keys become columns, every other key a custom header. */
import type {DeliveredMessage} from '../drivers/types.js'
import {unscopeTopic} from '../isolation.js'
import {META} from '../../model/metadata-keys.js'
import type {MailboxEvent} from './store.js'

const COLUMNS = new Set<string>(Object.values(META))

export function eventOf(m: DeliveredMessage, namespace: string): MailboxEvent {
  const md = m.metadata
  const customHeaders: Record<string, string> = {}
  for (const [key, value] of Object.entries(md)) if (!COLUMNS.has(key)) customHeaders[key] = value
  return {
    messageId: m.messageId,
    timestamp: m.timestamp,
    topic: unscopeTopic(namespace, m.topic),
    contentType: md[META.contentType] ?? '',
    schemaId: md[META.schemaId] ?? '',
    encryption: md[META.encryption] ?? '',
    correlationId: md[META.correlationId] ?? '',
    // Set by the proxy that accepted the publish; empty for a message put on the backend some other way.
    principal: md[META.principal] ?? '',
    namespace,
    customHeaders,
    body: m.payload,
  }
}
