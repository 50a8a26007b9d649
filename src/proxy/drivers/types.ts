/**
 * What the proxy asks of a backend, one interface per pattern family. A driver module exports `connect()`, which
 * returns a BackendConnection for one registered Backend (credentials in clear, from the proxy-role Watch); every
 * namespace that binds that backend shares it. Drivers throw PrismError: UNAVAILABLE naming the backend when it
 * cannot be reached (never its credentials), FAILED_PRECONDITION / UNIMPLEMENTED for what the backend cannot do.
 */
import type {Backend} from '../../gen/prism/admin/v1/resources_pb.js'
import type {MailboxStore} from '../mailbox/store.js'

export type ScanSupport = 'native' | 'emulated' | 'unavailable'
export type BatchSupport = 'native' | 'pipeline' | 'unavailable'

export interface KeyValueSupport {
  expiration: boolean
  scan: ScanSupport
  batch: BatchSupport
  transactions: boolean
}

export interface KeyValueEntry {
  key: string
  value: Uint8Array
  /** Absent: no expiry. */
  ttlSeconds?: number
}

export interface KeyValueDriver {
  readonly support: KeyValueSupport
  get(key: string): Promise<Uint8Array | undefined>
  set(key: string, value: Uint8Array, ttlSeconds?: number): Promise<void>
  /** Whether the key existed. */
  delete(key: string): Promise<boolean>
  exists(key: string): Promise<boolean>
  /** Whether the key existed (and now expires). Only where support.expiration. */
  expire(key: string, ttlSeconds: number): Promise<boolean>
  /** undefined: no such key; -1: no expiry; else whole seconds left. Only where support.expiration. */
  ttl(key: string): Promise<number | undefined>
  /** Keys (and values unless keysOnly) starting with prefix, at most limit. Only where support.scan !== 'unavailable'. */
  scan(prefix: string, limit: number, keysOnly: boolean): AsyncIterable<{key: string; value?: Uint8Array}>
  /** Only where support.batch === 'native'; the proxy pipelines get/set otherwise. */
  setMany?(entries: KeyValueEntry[]): Promise<void>
  getMany?(keys: string[]): Promise<(Uint8Array | undefined)[]>
}

export interface MessagingSupport {
  /** Messages outlive the proxy and can be replayed from the earliest one still held. */
  persistent: boolean
  /** Consumer groups share the work and remember their position. */
  groups: boolean
  /** Delivered messages wait for an acknowledgement and are delivered again without one. */
  ack: boolean
}

export interface OutgoingMessage {
  topic: string
  payload: Uint8Array
  metadata: Record<string, string>
}

export interface DeliveredMessage extends OutgoingMessage {
  messageId: string
  timestamp: Date
  /** Opaque, for MessagingDriver.ack; absent when the message needs no acknowledgement. */
  ackToken?: string
}

export interface PublishOptions {
  /** How long the backend keeps the topic's messages (where it keeps them); the driver's default when absent. */
  retentionMs?: number
}

export interface SubscribeOptions {
  /** Empty: an ephemeral subscriber that sees every message and acknowledges nothing. */
  group?: string
  start: 'earliest' | 'latest'
  /** With a group: how long an unacknowledged message waits before it is delivered again. */
  ackWaitSeconds: number
  /** As in PublishOptions, for a topic the subscription is the first to use. */
  retentionMs?: number
}

/** A live subscription: iterate to receive; close() ends the iteration and releases the backend's resources. */
export interface Subscription extends AsyncIterable<DeliveredMessage> {
  close(): Promise<void>
}

export interface MessagingDriver {
  readonly support: MessagingSupport
  /** Resolves with the message id once the backend has accepted the message (persisted, where persistent). */
  publish(message: OutgoingMessage, options?: PublishOptions): Promise<string>
  /** Resolves once the subscription is in place: a message published after that is received. */
  subscribe(topic: string, options: SubscribeOptions): Promise<Subscription>
  /** Acknowledges messages of (topic, group) by their ack tokens; works from any proxy where the backend allows it. Returns how many were acknowledged. */
  ack(topic: string, group: string, ackTokens: string[]): Promise<number>
}

export interface BackendConnection {
  /** Present when the backend serves keyvalue slots. */
  readonly keyValue?: KeyValueDriver
  /** Present when the backend serves pub/sub or queue slots. */
  readonly messaging?: MessagingDriver
  /** Present when the backend serves mailbox-store slots (table_writer, table_reader). */
  readonly mailbox?: MailboxStore
  /** Resolves when the backend answers; throws UNAVAILABLE naming the backend otherwise. Used by /readyz. */
  ping(): Promise<void>
  /** Ends every subscription and closes the connections. */
  close(): Promise<void>
}

export interface ConnectOptions {
  /** Diagnostics (never credentials). */
  log: (line: string) => void
}

/** What every driver module exports. */
export type Connect = (backend: Backend, options: ConnectOptions) => Promise<BackendConnection>
