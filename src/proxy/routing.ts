/**
 * The proxy's routing table: namespace → pattern → slot → backend, built from what the control plane's Watch says
 * and replaced as a whole (never mutated) when it changes, so a call sees one consistent table from start to end.
 */
import {toBinary} from '@bufbuild/protobuf'

import {PrismError} from '../errors.js'
import {BackendSchema} from '../gen/prism/admin/v1/resources_pb.js'
import type {AuthPolicy, Backend, Namespace} from '../gen/prism/admin/v1/resources_pb.js'

/** The pattern APIs the proxy serves, and the pattern types (with their data slot) each one can call. */
export type Family = 'keyvalue' | 'producer' | 'consumer' | 'mailbox'

const FAMILY_SLOTS: Record<Family, Record<string, string>> = {
  keyvalue: {keyvalue: 'kv-store'},
  producer: {producer: 'message-sink', pubsub: 'message-bus', queue: 'message-queue'},
  consumer: {consumer: 'message-source', pubsub: 'message-bus', queue: 'message-queue'},
  // A mailbox's calls read its store; its message-source is consumed by the proxy itself (mailbox/ingest.ts).
  mailbox: {mailbox: 'mailbox-store'},
}

const FAMILY_LABELS: Record<Family, string> = {
  keyvalue: 'keyvalue',
  producer: 'publishing (producer, pubsub or queue)',
  consumer: 'consuming (consumer, pubsub or queue)',
  mailbox: 'mailbox',
}

/** The backend a messaging pattern (producer, consumer, pubsub, queue) carries messages on: its data slot's. */
export function messagingBackendOf(pattern: RoutedPattern): string | undefined {
  const families = [FAMILY_SLOTS.producer, FAMILY_SLOTS.consumer]
  const slot = families.find((slots) => Object.hasOwn(slots, pattern.type))?.[pattern.type]
  return slot === undefined ? undefined : pattern.slots[slot]
}

export interface RoutedPattern {
  name: string
  type: string
  sessionAware: boolean
  settings: Record<string, string>
  /** slot → backend name, as the control plane resolved it. */
  slots: Record<string, string>
  /** slot → the Vault path of the binding's own credentials, where the binding names one (else the backend's). */
  vaultPaths: Record<string, string>
}

export interface Route {
  namespace: string
  auth?: AuthPolicy
  patterns: RoutedPattern[]
}

/** What a call is served by: the namespace's route, the pattern, and the backend behind its data slot. */
export interface Target {
  route: Route
  pattern: RoutedPattern
  slot: string
  backend: string
  /** The binding's own credentials in Vault, when it has them: the connection uses them instead of the backend's. */
  vaultPath?: string
}

/** A connection the proxy keeps: a backend, with its own credentials or with those a binding names. */
export interface BoundConnection {
  backend: string
  vaultPath?: string
}

/** One connection per backend and credentials: bindings that name their own credentials get connections of their own. */
export function connectionKey(backend: string, vaultPath?: string): string {
  return vaultPath ? `${backend}\u0000${vaultPath}` : backend
}

export class RoutingTable {
  private constructor(
    readonly routes: ReadonlyMap<string, Route>,
    readonly backends: ReadonlyMap<string, Backend>,
  ) {}

  static empty(): RoutingTable {
    return new RoutingTable(new Map(), new Map())
  }

  static from(namespaces: Iterable<Namespace>, backends: Iterable<Backend>): RoutingTable {
    const routes = new Map<string, Route>()
    for (const ns of namespaces) routes.set(ns.name, routeOf(ns))
    return new RoutingTable(routes, new Map([...backends].map((b) => [b.name, b])))
  }

  /** The connections the bindings need, by connectionKey. */
  boundConnections(): Map<string, BoundConnection> {
    const out = new Map<string, BoundConnection>()
    for (const route of this.routes.values()) {
      for (const p of route.patterns) {
        for (const [slot, backend] of Object.entries(p.slots)) {
          const vaultPath = p.vaultPaths[slot]
          out.set(connectionKey(backend, vaultPath), vaultPath ? {backend, vaultPath} : {backend})
        }
      }
    }
    return out
  }

  /** The pattern of `family` that serves a call to `namespace`; `patternName` picks one when there are several. */
  target(namespace: string, family: Family, patternName?: string): Target {
    const route = this.routes.get(namespace)
    if (!route) {
      throw new PrismError(`namespace ${namespace} does not exist (this proxy does not serve it)`, {
        code: 'NOT_FOUND',
        hint: 'List the namespaces with: prismctl namespace list',
      })
    }
    const slotOf = FAMILY_SLOTS[family]
    const candidates = route.patterns.filter((p) => slotOf[p.type] !== undefined)
    if (candidates.length === 0) {
      const has = route.patterns.length > 0 ? route.patterns.map((p) => `${p.name} (${p.type})`).join(', ') : 'none'
      throw new PrismError(`namespace ${namespace} has no ${FAMILY_LABELS[family]} pattern; its patterns: ${has}`, {
        code: 'FAILED_PRECONDITION',
        hint: `Add a pattern of type ${Object.keys(slotOf).join(' or ')} to the namespace (prismctl namespace apply -f).`,
      })
    }
    let pattern: RoutedPattern | undefined
    if (patternName) {
      pattern = candidates.find((p) => p.name === patternName)
      if (!pattern) {
        throw new PrismError(`namespace ${namespace} has no ${FAMILY_LABELS[family]} pattern named ${patternName}; it has: ${candidates.map((p) => p.name).join(', ')}`, {
          code: 'INVALID_ARGUMENT',
          hint: 'Pass one of those with --pattern.',
        })
      }
    } else if (candidates.length > 1) {
      throw new PrismError(`namespace ${namespace} has ${candidates.length} ${FAMILY_LABELS[family]} patterns (${candidates.map((p) => p.name).join(', ')}); say which`, {
        code: 'FAILED_PRECONDITION',
        hint: 'Pass --pattern NAME (the x-prism-pattern header).',
      })
    } else pattern = candidates[0]!
    const slot = slotOf[pattern.type]!
    const backend = pattern.slots[slot]
    if (!backend) {
      throw new PrismError(`pattern ${pattern.name} of namespace ${namespace} has no backend bound to its ${slot} slot`, {
        code: 'FAILED_PRECONDITION',
        hint: 'Bind the slot to a registered backend and apply the namespace again.',
      })
    }
    const vaultPath = pattern.vaultPaths[slot]
    return {route, pattern, slot, backend, ...(vaultPath ? {vaultPath} : {})}
  }
}

function routeOf(ns: Namespace): Route {
  const resolved = new Map((ns.status?.patterns ?? []).map((p) => [p.name, p]))
  return {
    namespace: ns.name,
    auth: ns.auth,
    patterns: ns.patterns.map((p) => {
      const slots: Record<string, string> = {}
      for (const b of resolved.get(p.name)?.bindings ?? []) if (b.backend) slots[b.slot] = b.backend
      const vaultPaths: Record<string, string> = {}
      for (const b of [...p.requires, ...p.produces]) if (b.credentials?.source.case === 'vaultPath' && slots[b.slot]) vaultPaths[b.slot] = b.credentials.source.value
      return {name: p.name, type: p.type, sessionAware: p.sessionAware, settings: {...p.settings}, slots, vaultPaths}
    }),
  }
}

/** A backend's connection-relevant identity: when it changes, its connection is replaced. */
export function backendFingerprint(backend: Backend): string {
  return Buffer.from(toBinary(BackendSchema, {...backend, status: undefined, labels: {}, description: ''})).toString('base64')
}
