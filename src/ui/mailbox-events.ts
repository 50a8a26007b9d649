/** How mailbox events look on a terminal: a table for a query, labelled lines then the payload for one event. */
import type {ShownEvent} from '../data/mailbox.js'
import {renderTable} from './table.js'
import {count} from './count.js'

/** Upstream truncates payloads in a query's listing at 500 characters; a table cell takes less. */
const CELL = 60

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text)
const headers = (h: Record<string, string>) =>
  Object.entries(h)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')

/** A payload as one line: text with whitespace folded, or base64: marked as such. */
function payloadCell(e: ShownEvent): string {
  if (e.payload === undefined) return ''
  return cut(e.encoding === 'base64' ? `base64:${e.payload}` : e.payload.replace(/\s+/g, ' '), CELL)
}

export function renderEventTable(events: ShownEvent[], withPayload: boolean): string {
  const head = ['MESSAGE ID', 'TIME', 'TOPIC', 'PRINCIPAL', 'CORRELATION ID', 'CONTENT TYPE', 'BYTES', ...(withPayload ? ['PAYLOAD'] : [])]
  return renderTable(
    head,
    events.map((e) => [e.messageId, e.timestamp, e.topic, e.principal || '-', e.correlationId || '-', e.contentType || '-', String(e.bodyBytes), ...(withPayload ? [payloadCell(e)] : [])]),
  )
}

/** Labelled fields, then the whole payload after a line saying what it is (base64 when it is not text). */
export function renderEvent(e: ShownEvent): string {
  const fields: [string, string][] = [
    ['Message ID', e.messageId],
    ['Time', e.timestamp],
    ['Topic', e.topic],
    ['Namespace', e.namespace],
    ['Principal', e.principal],
    ['Correlation ID', e.correlationId],
    ['Content type', e.contentType],
    ['Schema ID', e.schemaId],
    ['Encryption', e.encryption],
    ['Headers', headers(e.customHeaders)],
  ]
  const lines = fields.map(([k, v]) => `${`${k}:`.padEnd(16)}${v || '-'}`)
  if (e.payload === undefined) lines.push(`${'Payload:'.padEnd(16)}${count(e.bodyBytes, 'byte')} (not shown)`)
  else {
    lines.push(`${'Payload:'.padEnd(16)}${count(e.bodyBytes, 'byte')}${e.encoding === 'base64' ? ', not UTF-8 text: shown as base64' : ''}`)
    lines.push(e.payload)
  }
  return lines.join('\n')
}
