/**
 * One namespace's sessions in its session-store backend (any KeyValueDriver with expiration: Redis, memstore,
 * PostgreSQL). Records carry a backend TTL a little past their own expiry, so the sweeper of some proxy sees them
 * expire (and says so once), and a store nobody sweeps any more still empties itself.
 */
import type {KeyValueDriver} from '../drivers/types.js'
import {decodeMarker, decodeRecord, encode, markerKey, recordKey, recordPrefix, type EndMarker, type SessionRecord} from './records.js'

/** How long a record outlives its expiry in the backend, for the sweepers to find it. */
const GRACE_SECONDS = 300
/** How much longer than the token an end marker is kept: the verifiers accept a token this long after its expiry. */
export const MARKER_MARGIN_MS = 60_000

const ttlUntil = (at: number, now: number) => Math.max(1, Math.ceil((at - now) / 1000))

export class SessionStore {
  constructor(
    readonly namespace: string,
    private readonly kv: KeyValueDriver,
  ) {}

  get canList(): boolean {
    return this.kv.support.scan !== 'unavailable'
  }

  /** The record and the end marker of a session, in one round trip where the backend batches. */
  async read(id: string): Promise<{record?: SessionRecord; ended?: EndMarker}> {
    const [marker, record] = await this.getAll([markerKey(this.namespace, id), recordKey(this.namespace, id)])
    return {ended: decodeMarker(marker), record: decodeRecord(record)}
  }

  /** Which of these sessions have ended (a marker is kept), in one round trip where the backend batches. */
  async endedAmong(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set()
    const markers = await this.getAll(ids.map((id) => markerKey(this.namespace, id)))
    return new Set(ids.filter((_, i) => decodeMarker(markers[i]) !== undefined))
  }

  private getAll(keys: string[]): Promise<(Uint8Array | undefined)[]> {
    return this.kv.getMany ? this.kv.getMany(keys) : Promise.all(keys.map((k) => this.kv.get(k)))
  }

  async save(record: SessionRecord, now: number): Promise<void> {
    await this.kv.set(recordKey(this.namespace, record.id), encode(record), ttlUntil(record.expiresAt, now) + GRACE_SECONDS)
  }

  /** Whether this call removed it: of several proxies removing one record, exactly one gets true (on a shared store). */
  remove(id: string): Promise<boolean> {
    return this.kv.delete(recordKey(this.namespace, id))
  }

  /** Refuses the session's token from now until `tokenExpiresAt` (plus the verifiers' leeway). */
  async markEnded(id: string, marker: EndMarker, tokenExpiresAt: number, now: number): Promise<void> {
    await this.kv.set(markerKey(this.namespace, id), encode(marker), ttlUntil(tokenExpiresAt + MARKER_MARGIN_MS, now))
  }

  /** Every record held, expired or not. */
  async *all(): AsyncIterable<SessionRecord> {
    for await (const entry of this.kv.scan(recordPrefix(this.namespace), Number.MAX_SAFE_INTEGER, false)) {
      const record = decodeRecord(entry.value)
      if (record) yield record
    }
  }
}
