/** What one data call may carry; stated in the README ("Proxy limits"). Past a limit: INVALID_ARGUMENT naming it. */
import {PrismError} from '../errors.js'
import {quote} from '../model/suggest.js'
import {topicProblem} from '../model/topics.js'

export const LIMITS = {
  keyBytes: 1024,
  valueBytes: 1024 * 1024,
  batchEntries: 1000,
  /** The whole request, which bounds a batch's total size. */
  messageBytes: 8 * 1024 * 1024,
  payloadBytes: 1024 * 1024,
  metadataEntries: 64,
  metadataKeyBytes: 128,
  metadataValueBytes: 4096,
  scanDefault: 1000,
  scanMax: 10_000,
  /** A year: anything longer is a mistake in units. */
  ttlMaxSeconds: 365 * 24 * 3600,
} as const


function tooBig(what: string, size: number, limit: number, unit: string): PrismError {
  return new PrismError(`${what} is ${size} ${unit}; the limit is ${limit} ${unit}`, {code: 'INVALID_ARGUMENT', hint: 'See "Proxy limits" in the README.'})
}

function invalid(message: string, hint?: string): PrismError {
  return new PrismError(message, {code: 'INVALID_ARGUMENT', hint})
}

export function checkKey(key: string): void {
  if (key === '') throw invalid('the key is empty')
  const bytes = Buffer.byteLength(key)
  if (bytes > LIMITS.keyBytes) throw tooBig('the key', bytes, LIMITS.keyBytes, 'bytes')
}

export function checkValue(value: Uint8Array): void {
  if (value.length > LIMITS.valueBytes) throw tooBig('the value', value.length, LIMITS.valueBytes, 'bytes')
}

export function checkTtl(seconds: bigint | number | undefined): number | undefined {
  if (seconds === undefined) return undefined
  const n = Number(seconds)
  if (!Number.isInteger(n) || n <= 0 || n > LIMITS.ttlMaxSeconds) throw invalid(`the expiration must be between 1 and ${LIMITS.ttlMaxSeconds} seconds, got ${seconds}`)
  return n
}

export function checkBatch(count: number): void {
  if (count === 0) throw invalid('the batch is empty')
  if (count > LIMITS.batchEntries) throw tooBig('the batch', count, LIMITS.batchEntries, 'entries')
}

export function checkTopic(topic: string): void {
  const why = topicProblem(topic)
  if (why) throw invalid(`topic ${quote(topic)} ${why}`, 'See "Proxy limits" in the README.')
}


export function checkMessage(topic: string, payload: Uint8Array, metadata: Record<string, string>): void {
  checkTopic(topic)
  if (payload.length > LIMITS.payloadBytes) throw tooBig('the payload', payload.length, LIMITS.payloadBytes, 'bytes')
  const entries = Object.entries(metadata)
  if (entries.length > LIMITS.metadataEntries) throw tooBig('the metadata', entries.length, LIMITS.metadataEntries, 'entries')
  for (const [key, value] of entries) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(key)) throw invalid(`invalid metadata key "${key.slice(0, 64)}"`, 'Metadata keys use letters, digits, "_", "." and "-".')
    if (Buffer.byteLength(key) > LIMITS.metadataKeyBytes) throw tooBig(`metadata key ${key.slice(0, 32)}…`, Buffer.byteLength(key), LIMITS.metadataKeyBytes, 'bytes')
    if (Buffer.byteLength(value) > LIMITS.metadataValueBytes) throw tooBig(`the value of metadata ${key}`, Buffer.byteLength(value), LIMITS.metadataValueBytes, 'bytes')
    // PostgreSQL refuses NUL in text and jsonb: a mailbox storing the message could never store it.
    if (value.includes('\u0000')) throw invalid(`the value of metadata ${key} contains a NUL character`, 'Metadata values are text without NUL characters; send binary data in the payload.')
  }
}
