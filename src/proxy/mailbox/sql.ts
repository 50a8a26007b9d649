/** What the SQL stores share: the WHERE and ORDER BY of a query (each names its own placeholders and time type), the columns, the rows. */
import type {MailboxKey, MailboxQuery, StoredEvent} from './store.js'

/** A row as the driver returns it; time and headers in the engine's own types. */
export interface SqlRow<Time, Headers> {
  message_id: string
  ts: Time
  topic: string
  content_type: string
  schema_id: string
  encryption: string
  correlation_id: string
  principal: string
  namespace: string
  custom_headers: Headers
  body_bytes: number | string
  body?: Buffer
}

export function storedEventOf(row: SqlRow<Date, Record<string, string>>): StoredEvent {
  return {
    messageId: row.message_id,
    timestamp: row.ts,
    topic: row.topic,
    contentType: row.content_type,
    schemaId: row.schema_id,
    encryption: row.encryption,
    correlationId: row.correlation_id,
    principal: row.principal,
    namespace: row.namespace,
    customHeaders: row.custom_headers,
    bodyBytes: Number(row.body_bytes),
    ...(row.body ? {body: new Uint8Array(row.body)} : {}),
  }
}

/** `param` registers a value and returns its placeholder ($1 or ?); `time` turns a Date into the column's type. */
export function filterSql(box: MailboxKey, q: MailboxQuery, param: (value: unknown) => string, time: (d: Date) => unknown): string {
  const where = [`namespace = ${param(box.namespace)}`, `mailbox = ${param(box.pattern)}`]
  if (q.start) where.push(`ts >= ${param(time(q.start))}`)
  if (q.end) where.push(`ts < ${param(time(q.end))}`)
  if (q.topics.length > 0) where.push(`topic IN (${q.topics.map(param).join(', ')})`)
  if (q.principals.length > 0) where.push(`principal IN (${q.principals.map(param).join(', ')})`)
  if (q.correlationId) where.push(`correlation_id = ${param(q.correlationId)}`)
  // One more than asked for tells whether there is more.
  return `WHERE ${where.join(' AND ')} ORDER BY ts DESC, message_id DESC LIMIT ${param(q.limit + 1)} OFFSET ${param(q.offset)}`
}

/** The columns every query reads; the body only when asked for. */
export function columnsSql(includeBody: boolean, length: string): string {
  return `message_id, ts, topic, content_type, schema_id, encryption, correlation_id, principal, namespace, custom_headers, ${length}(body) AS body_bytes${includeBody ? ', body' : ''}`
}
