/**
 * The pattern registry (DESIGN.md §5, layer 3) kept as data: which pattern types exist, their versions, the slots
 * each version has and the backend interfaces a slot needs. The CLI uses it to check files offline; the control
 * plane is the authority and uses it to assign versions and backends.
 */
import {BackendType} from '../gen/prism/admin/v1/resources_pb.js'

export interface SlotSpec {
  name: string
  direction: 'requires' | 'produces'
  /** A namespace must bind every required slot of every pattern it uses. */
  required: boolean
  /** A bound backend must implement all of these. */
  interfaces: string[]
  /** And, when present, at least one of these (e.g. pub/sub or a queue). */
  anyOf?: string[]
}

export interface PatternVersionSpec {
  version: string
  slots: SlotSpec[]
  /** The settings the pattern reads; others are left alone (free-form). */
  settings?: SettingSpec[]
}

export interface SettingSpec {
  name: string
  required: boolean
  /** list: comma-separated non-empty names; topics: such a list of topic names (model/topics.ts); duration: 30s, 12h, 7d (config/duration.ts). */
  kind: 'list' | 'topics' | 'duration'
  description: string
  /** A duration's bounds, both written as durations are (e.g. 1s, 3650d). */
  bounds?: {min: string; max: string}
}

export interface PatternSpec {
  type: string
  description: string
  /** Whether instances may run inside an authenticated session (`sessionAware: true`). */
  sessionCapable: boolean
  currentVersion: string
  versions: PatternVersionSpec[]
}

/** The pattern that gives a namespace's session-aware patterns their sessions (rules in validate.ts). */
export const SESSION_MANAGER = 'session-manager'

const slot = (name: string, direction: SlotSpec['direction'], required: boolean, interfaces: string[], anyOf?: string[]): SlotSpec => ({name, direction, required, interfaces, ...(anyOf ? {anyOf} : {})})

/** Whether a backend with these interfaces may be bound to the slot. */
export function slotFits(slot: SlotSpec, interfaces: readonly string[]): boolean {
  return slot.interfaces.every((x) => interfaces.includes(x)) && (!slot.anyOf || slot.anyOf.some((x) => interfaces.includes(x)))
}

/** What the slot needs that these interfaces lack, in words: "table_reader, one of pubsub_basic or queue_basic". */
export function slotMisses(slot: SlotSpec, interfaces: readonly string[]): string[] {
  const missing = slot.interfaces.filter((x) => !interfaces.includes(x))
  if (slot.anyOf && !slot.anyOf.some((x) => interfaces.includes(x))) missing.push(`one of ${slot.anyOf.join(' or ')}`)
  return missing
}

/** The slot's needs in words, for messages about backends that do not fit. */
export function slotNeeds(slot: SlotSpec): string {
  return slotMisses(slot, []).join(', ')
}

/** What a retention may be: NATS refuses a max age under 100 ms; ten years is past any use. */
export const RETENTION_BOUNDS = {min: '1s', max: '3650d'}

/**
 * How long a messaging pattern's backend keeps what the namespace publishes, for consumer groups and replay (NATS
 * JetStream, PostgreSQL); unset, messages are kept as the backend keeps them by itself.
 */
const MESSAGE_RETENTION: SettingSpec = {name: 'retention', required: false, kind: 'duration', bounds: RETENTION_BOUNDS, description: 'how long published messages are kept for consumer groups and replay (default: as long as the backend keeps them)'}

export const PATTERNS: readonly PatternSpec[] = [
  {
    type: SESSION_MANAGER,
    description: 'Authenticates callers and keeps their sessions; must be the first pattern of a namespace',
    sessionCapable: false,
    currentVersion: '0.1.0',
    versions: [
      {
        version: '0.1.0',
        slots: [slot('session-store', 'requires', true, ['keyvalue_basic', 'keyvalue_ttl']), slot('session-events', 'produces', false, ['pubsub_basic'])],
      },
    ],
  },
  {
    type: 'keyvalue',
    description: 'Get/set/delete by key, optional TTL',
    sessionCapable: true,
    currentVersion: '1.1.0',
    versions: [
      {version: '1.0.0', slots: [slot('kv-store', 'requires', true, ['keyvalue_basic'])]},
      {version: '1.1.0', slots: [slot('kv-store', 'requires', true, ['keyvalue_basic']), slot('cache-store', 'requires', false, ['keyvalue_ttl'])]},
    ],
  },
  {
    type: 'producer',
    description: 'Publishes messages to a sink',
    sessionCapable: true,
    currentVersion: '1.0.0',
    versions: [{version: '1.0.0', slots: [slot('message-sink', 'requires', true, ['pubsub_basic']), slot('state-store', 'requires', false, ['keyvalue_basic'])], settings: [MESSAGE_RETENTION]}],
  },
  {
    type: 'consumer',
    description: 'Consumes messages from a source, optionally keeping offsets in a state store',
    sessionCapable: true,
    currentVersion: '1.0.0',
    versions: [
      {
        version: '1.0.0',
        slots: [
          slot('message-source', 'requires', true, ['pubsub_basic']),
          slot('state-store', 'requires', false, ['keyvalue_basic']),
          slot('deadletter-queue', 'requires', false, ['queue_basic']),
        ],
        settings: [MESSAGE_RETENTION],
      },
    ],
  },
  {
    type: 'pubsub',
    description: 'Fan-out publish/subscribe',
    sessionCapable: true,
    currentVersion: '1.0.0',
    versions: [{version: '1.0.0', slots: [slot('message-bus', 'requires', true, ['pubsub_basic'])], settings: [MESSAGE_RETENTION]}],
  },
  {
    type: 'queue',
    description: 'Point-to-point work queue',
    sessionCapable: true,
    currentVersion: '1.0.0',
    versions: [{version: '1.0.0', slots: [slot('message-queue', 'requires', true, ['queue_basic'])], settings: [MESSAGE_RETENTION]}],
  },
  {
    type: 'mailbox',
    description: 'Stores every message of its source topics with their metadata, searchable by time, topic, principal and correlation id (RFC-037)',
    sessionCapable: false,
    currentVersion: '0.1.0',
    versions: [
      {
        version: '0.1.0',
        slots: [slot('message-source', 'requires', true, [], ['pubsub_basic', 'queue_basic']), slot('mailbox-store', 'requires', true, ['table_writer', 'table_reader'])],
        settings: [
          {name: 'topics', required: true, kind: 'topics', description: 'comma-separated topics to store, e.g. "orders,payments"'},
          {name: 'retention', required: false, kind: 'duration', bounds: RETENTION_BOUNDS, description: 'how long messages are kept (default 7d)'},
        ],
      },
    ],
  },
]

/** Interfaces a backend may declare. */
export const KNOWN_INTERFACES: readonly string[] = [
  'keyvalue_basic',
  'keyvalue_ttl',
  'keyvalue_scan',
  'keyvalue_transactional',
  'pubsub_basic',
  'pubsub_persistent',
  'queue_basic',
  'queue_visibility',
  'stream_basic',
  'object_store',
  // Upstream's TableWriterInterface / TableReaderInterface (RFC-037): rows with indexed headers, written and queried.
  'table_writer',
  'table_reader',
]

/** What each backend type implements out of the box: the default when a Backend document lists no interfaces. */
export const DEFAULT_INTERFACES: Readonly<Record<BackendType, readonly string[]>> = {
  [BackendType.UNSPECIFIED]: [],
  [BackendType.REDIS]: ['keyvalue_basic', 'keyvalue_ttl', 'keyvalue_scan', 'pubsub_basic'],
  [BackendType.NATS]: ['pubsub_basic', 'pubsub_persistent', 'queue_basic'],
  [BackendType.KAFKA]: ['pubsub_basic', 'pubsub_persistent', 'queue_basic', 'stream_basic'],
  [BackendType.POSTGRES]: ['keyvalue_basic', 'keyvalue_transactional', 'queue_basic', 'table_writer', 'table_reader'],
  [BackendType.SQLITE]: ['keyvalue_basic', 'keyvalue_transactional', 'table_writer', 'table_reader'],
  [BackendType.S3]: ['object_store'],
  // The proxy's memstore also carries messages in process (pub/sub and a queue with groups and acks) and keeps a
  // bounded mailbox table.
  [BackendType.MEMSTORE]: ['keyvalue_basic', 'keyvalue_ttl', 'keyvalue_scan', 'pubsub_basic', 'queue_basic', 'table_writer', 'table_reader'],
}

export function findPattern(type: string): PatternSpec | undefined {
  return PATTERNS.find((p) => p.type === type)
}

/** The requested version, or the current one when none is requested; undefined when the version does not exist. */
export function resolvePatternVersion(spec: PatternSpec, requested: string): PatternVersionSpec | undefined {
  return spec.versions.find((v) => v.version === (requested || spec.currentVersion))
}
