/**
 * What a session is and where it lives in the session-store backend. Keys start with `_prism:`, which no scoped
 * data key can (those start with a namespace name, a letter), so sessions never collide with a namespace's data
 * even when the session store is also its kv-store.
 */
import {createHash} from 'node:crypto'

export interface SessionRecord {
  id: string
  namespace: string
  /** email, else subject */
  principal: string
  subject: string
  email?: string
  groups: string[]
  /** Epoch milliseconds, all of them. */
  startedAt: number
  lastSeenAt: number
  /** min(tokenExpiresAt, lastSeenAt + idle timeout) */
  expiresAt: number
  tokenExpiresAt: number
}

export type EndReason = 'expired' | 'killed' | 'logged_out'

/** Left behind by a kill or a logout: the token it names is refused until it expires. */
export interface EndMarker {
  reason: Exclude<EndReason, 'expired'>
  at: number
  /** Who ended it (for kill: the operator). */
  by: string
}

const RECORDS = '_prism:session:'
const MARKERS = '_prism:session-ended:'

/** The prefix every session record of a namespace starts with (the trailing ":" keeps "ns" from matching "ns-2"). */
export const recordPrefix = (namespace: string) => `${RECORDS}${namespace}:`
export const recordKey = (namespace: string, id: string) => `${recordPrefix(namespace)}${id}`
export const markerKey = (namespace: string, id: string) => `${MARKERS}${namespace}:${id}`

/**
 * The session id of a token in a namespace: every proxy derives the same one, and it cannot be turned back into the
 * token. 128 bits of SHA-256, hex, over the signed part (header.payload) only: base64url decoding is lenient (unused
 * low bits of the last character, padding), so one signature has several spellings that all verify, and a killed
 * token respelt must still be the killed session.
 */
export function sessionId(namespace: string, token: string): string {
  const signed = token.split('.', 2).join('.')
  return createHash('sha256').update(namespace).update('\n').update(signed).digest('hex').slice(0, 32)
}

export const SESSION_ID = /^[0-9a-f]{32}$/

/** The token of an `authorization` header the authenticator already accepted. */
export function bearerOf(authorization: string): string {
  return authorization.replace(/^\s*bearer\s+/i, '').trim()
}

export function expiryOf(now: number, tokenExpiresAt: number, idleMs: number | undefined): number {
  return idleMs ? Math.min(tokenExpiresAt, now + idleMs) : tokenExpiresAt
}

export const encode = (value: SessionRecord | EndMarker): Uint8Array => new Uint8Array(Buffer.from(JSON.stringify(value)))

/** undefined for bytes that are not what this module wrote (another writer's key, a damaged value). */
export function decodeRecord(bytes: Uint8Array | undefined): SessionRecord | undefined {
  const value = parse(bytes)
  return value && typeof value.id === 'string' && typeof value.expiresAt === 'number' && typeof value.startedAt === 'number' ? (value as unknown as SessionRecord) : undefined
}

export function decodeMarker(bytes: Uint8Array | undefined): EndMarker | undefined {
  const value = parse(bytes)
  return value && (value.reason === 'killed' || value.reason === 'logged_out') ? (value as unknown as EndMarker) : undefined
}

function parse(bytes: Uint8Array | undefined): Record<string, unknown> | undefined {
  if (!bytes) return undefined
  try {
    const value: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'))
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}
