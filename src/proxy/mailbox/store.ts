/**
 * What a mailbox-store backend does (upstream's TableWriterInterface and TableReaderInterface, RFC-037): keep
 * events with their headers as indexed columns and the body as an opaque blob, answer filtered queries newest first,
 * and forget what is older than the retention. Every event belongs to one mailbox, a (namespace, pattern) pair,
 * so namespaces (and two mailboxes of one namespace) that share a backend never see each other's events.
 */
import {PrismError} from '../../errors.js'
import type {BackendConnection} from '../drivers/types.js'

export interface MailboxKey {
  namespace: string
  /** The mailbox pattern's name. */
  pattern: string
}

/** The mailbox store of a backend's connection; FAILED_PRECONDITION naming the backend when it has none. */
export function mailboxStoreOf(connection: BackendConnection, backend: string, where = ''): MailboxStore {
  if (connection.mailbox) return connection.mailbox
  throw new PrismError(`backend ${backend} cannot store mailboxes${where}`, {
    code: 'FAILED_PRECONDITION',
    hint: 'Bind the mailbox-store slot to a backend with table_writer and table_reader (postgres, sqlite, memstore).',
  })
}

export interface MailboxEvent {
  /** Unique within the mailbox: the id the message-source backend gave the message. */
  messageId: string
  timestamp: Date
  topic: string
  contentType: string
  schemaId: string
  encryption: string
  correlationId: string
  principal: string
  namespace: string
  customHeaders: Record<string, string>
  body: Uint8Array
}

/** An event as a query returns it: without the body (bodies() has it), always with its size; get() has both. */
export type StoredEvent = Omit<MailboxEvent, 'body'> & {body?: Uint8Array; bodyBytes: number}

export interface MailboxQuery {
  /** Inclusive. */
  start?: Date
  /** Exclusive. */
  end?: Date
  /** Any of these; empty: all. */
  topics: string[]
  principals: string[]
  correlationId?: string
  limit: number
  offset: number
}

export interface QueryResult {
  /** Newest first (ties by message id, so pages never overlap). */
  events: StoredEvent[]
  hasMore: boolean
}

export interface MailboxStore {
  /**
   * Stores the events; one already stored (same mailbox and message id) is left as it is. Returns how many were new.
   * INVALID_ARGUMENT when the store refuses an event's data (it would refuse it every time); other errors may pass.
   */
  write(box: MailboxKey, events: MailboxEvent[]): Promise<number>
  query(box: MailboxKey, query: MailboxQuery): Promise<QueryResult>
  /** The bodies of these events (one query), by message id; ids not stored are absent. */
  bodies(box: MailboxKey, messageIds: string[]): Promise<Map<string, Uint8Array>>
  get(box: MailboxKey, messageId: string): Promise<StoredEvent | undefined>
  /** Deletes the mailbox's events with a timestamp before `before`; returns how many. */
  prune(box: MailboxKey, before: Date): Promise<number>
}

// maxPageBodyBytes: the bodies one page carries (at least one event's, each at most 1 MiB): 1,000 events of 1 MiB
// would hold a gigabyte in the proxy and overflow every client's 16 MiB response limit.
export const QUERY_LIMITS = {defaultLimit: 10, maxLimit: 1000, maxOffset: 1_000_000, maxFilterValues: 100, maxPageBodyBytes: 8 * 1024 * 1024} as const
