/**
 * The memstore backend's mailbox: in this proxy's memory, bounded in events and bytes (the oldest stored go first),
 * for local work. Two proxies never share it, so with a memstore mailbox-store each proxy answers for what it
 * consumed itself.
 */
import type {MailboxEvent, MailboxKey, MailboxQuery, MailboxStore, QueryResult, StoredEvent} from './store.js'

const MAX_EVENTS = 100_000
const MAX_BYTES = 64 * 1024 * 1024

const boxId = (box: MailboxKey) => `${box.namespace}/${box.pattern}`

function sizeOf(e: MailboxEvent): number {
  return e.body.length + JSON.stringify(e.customHeaders).length + e.messageId.length + e.topic.length + 128
}

/** Newest first; ties by message id (descending), as the SQL stores order them. */
export function newestFirst(a: {timestamp: Date; messageId: string}, b: {timestamp: Date; messageId: string}): number {
  return b.timestamp.getTime() - a.timestamp.getTime() || (a.messageId < b.messageId ? 1 : a.messageId > b.messageId ? -1 : 0)
}

export function shown(e: MailboxEvent, includeBody: boolean): StoredEvent {
  const {body, ...rest} = e
  return {...rest, customHeaders: {...rest.customHeaders}, bodyBytes: body.length, ...(includeBody ? {body} : {})}
}

export class MemoryMailboxStore implements MailboxStore {
  private readonly boxes = new Map<string, Map<string, MailboxEvent>>()
  /** Every stored event in the order it was stored, for eviction: compound key → [box, message id]. */
  private readonly order = new Map<string, [string, string]>()
  private bytes = 0

  constructor(private readonly limits = {events: MAX_EVENTS, bytes: MAX_BYTES}) {}

  async write(box: MailboxKey, events: MailboxEvent[]): Promise<number> {
    const id = boxId(box)
    const stored = this.boxes.get(id) ?? new Map<string, MailboxEvent>()
    this.boxes.set(id, stored)
    let added = 0
    for (const e of events) {
      if (stored.has(e.messageId)) continue
      stored.set(e.messageId, {...e, customHeaders: {...e.customHeaders}, body: Uint8Array.from(e.body)})
      this.order.set(`${id}\0${e.messageId}`, [id, e.messageId])
      this.bytes += sizeOf(e)
      added++
    }
    while (this.order.size > this.limits.events || this.bytes > this.limits.bytes) {
      const [key, [oldBox, messageId]] = this.order.entries().next().value!
      this.remove(key, oldBox, messageId)
    }
    return added
  }

  async query(box: MailboxKey, q: MailboxQuery): Promise<QueryResult> {
    const matches = [...(this.boxes.get(boxId(box))?.values() ?? [])]
      .filter(
        (e) =>
          (!q.start || e.timestamp >= q.start) &&
          (!q.end || e.timestamp < q.end) &&
          (q.topics.length === 0 || q.topics.includes(e.topic)) &&
          (q.principals.length === 0 || q.principals.includes(e.principal)) &&
          (!q.correlationId || e.correlationId === q.correlationId),
      )
      .sort(newestFirst)
    const page = matches.slice(q.offset, q.offset + q.limit)
    return {events: page.map((e) => shown(e, false)), hasMore: matches.length > q.offset + q.limit}
  }

  async bodies(box: MailboxKey, messageIds: string[]): Promise<Map<string, Uint8Array>> {
    const stored = this.boxes.get(boxId(box))
    const out = new Map<string, Uint8Array>()
    for (const id of messageIds) {
      const e = stored?.get(id)
      if (e) out.set(id, e.body)
    }
    return out
  }

  async get(box: MailboxKey, messageId: string): Promise<StoredEvent | undefined> {
    const e = this.boxes.get(boxId(box))?.get(messageId)
    return e && shown(e, true)
  }

  async prune(box: MailboxKey, before: Date): Promise<number> {
    const id = boxId(box)
    let removed = 0
    for (const e of [...(this.boxes.get(id)?.values() ?? [])]) {
      if (e.timestamp >= before) continue
      this.remove(`${id}\0${e.messageId}`, id, e.messageId)
      removed++
    }
    return removed
  }

  private remove(key: string, box: string, messageId: string): void {
    this.order.delete(key)
    const events = this.boxes.get(box)
    const e = events?.get(messageId)
    if (!e) return
    events!.delete(messageId)
    this.bytes -= sizeOf(e)
    if (events!.size === 0) this.boxes.delete(box)
  }
}
