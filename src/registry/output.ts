/**
 * How namespaces and backends are shown: kubectl-like tables, `kind/name` lines, JSON, and YAML that re-applies
 * cleanly (it carries `kind`; the read-only `status` it includes is ignored on writes).
 */
import {timestampDate} from '@bufbuild/protobuf/wkt'
import type {Timestamp} from '@bufbuild/protobuf/wkt'

import {BackendType, NamespacePhase, type Backend, type Namespace, type ResourceMeta} from '../gen/prism/admin/v1/resources_pb.js'
import {resourceRef, toJsonObject, toYaml, type Kind, type Resource} from '../model/documents.js'
import {renderTable} from '../ui/table.js'

export const OUTPUT_FORMATS = ['table', 'json', 'yaml', 'name'] as const
export type OutputFormat = (typeof OUTPUT_FORMATS)[number]

/** kubectl's AGE column: the largest unit only, e.g. 45s, 12m, 3h, 9d, 2y. */
export function age(created: Timestamp | undefined, now: Date = new Date()): string {
  if (!created) return '<unknown>'
  const seconds = Math.max(0, Math.floor((now.getTime() - timestampDate(created).getTime()) / 1000))
  if (seconds < 120) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 120) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours}h`
  const days = Math.floor(hours / 24)
  return days < 730 ? `${days}d` : `${Math.floor(days / 365)}y`
}

/** Lower-case type name as users type it: BackendType.REDIS → redis; a number this build does not know, as is. */
function backendTypeName(type: BackendType): string {
  return type === BackendType.UNSPECIFIED ? '<none>' : (BackendType[type]?.toLowerCase() ?? String(type))
}

/** Where a backend lives, in one short cell. */
export function backendAddress(backend: Backend): string {
  const c = backend.config
  switch (c.case) {
    case 'redis':
      return `${c.value.address}/${c.value.database}`
    case 'nats':
      return c.value.url
    case 'kafka':
      return c.value.brokers.join(',')
    case 'postgres':
      return `${c.value.host}:${c.value.port || 5432}/${c.value.database}`
    case 'sqlite':
      return c.value.path
    case 's3':
      return [c.value.endpoint, c.value.bucket].filter(Boolean).join('/')
    case 'memstore':
      return 'in-memory'
    default:
      return ''
  }
}

function version(meta: ResourceMeta | undefined): string {
  return meta ? String(meta.version) : ''
}

function phaseName(phase: NamespacePhase | undefined): string {
  return phase ? (NamespacePhase[phase] ?? String(phase)) : 'UNKNOWN'
}

/** How many serving proxies a table cell names before it counts the rest. */
const NAMED_PROXIES = 3

/** The SERVED BY cell: the proxies whose live leases name the namespace. */
function servedBy(proxies: readonly string[]): string {
  if (proxies.length === 0) return '<none>'
  const more = proxies.length - NAMED_PROXIES
  return more > 0 ? `${proxies.slice(0, NAMED_PROXIES).join(',')} +${more} more` : proxies.join(',')
}

function table<K extends Kind>(kind: K, items: Resource<K>[], now: Date): string {
  if (kind === 'Namespace') {
    const rows = (items as Namespace[]).map((ns) => [
      ns.name,
      ns.team,
      ns.patterns.map((p) => p.name).join(',') || '<none>',
      phaseName(ns.status?.phase),
      servedBy(ns.status?.servingProxies ?? []),
      ns.status ? String(ns.status.partition) : '',
      version(ns.status?.meta),
      age(ns.status?.meta?.createdAt, now),
    ])
    return renderTable(['NAME', 'TEAM', 'PATTERNS', 'PHASE', 'SERVED BY', 'PARTITION', 'VERSION', 'AGE'], rows)
  }
  const rows = (items as Backend[]).map((b) => [
    b.name,
    backendTypeName(b.type),
    backendAddress(b),
    b.interfaces.join(',') || '<none>',
    version(b.status?.meta),
    age(b.status?.meta?.createdAt, now),
  ])
  return renderTable(['NAME', 'TYPE', 'ADDRESS', 'INTERFACES', 'VERSION', 'AGE'], rows)
}

/** The JSON of `get` (the resource itself) and of `list` (a `{kind: "List", items}` that apply -f reads back). */
export function resourcesJson<K extends Kind>(kind: K, items: Resource<K>[], options: {single?: boolean} = {}): Record<string, unknown> {
  return jsonOf(items.map((item) => toJsonObject(kind, item)), options.single)
}

/** One resource as itself (none: an empty object, for an error to complete), several as a List. */
function jsonOf(objects: Record<string, unknown>[], single = false): Record<string, unknown> {
  return single ? (objects[0] ?? {}) : {kind: 'List', items: objects}
}

/** Renders resources for stdout (no trailing newline). `list` output in YAML: documents separated by `---`. */
export function renderResources<K extends Kind>(kind: K, items: Resource<K>[], format: OutputFormat, options: {single?: boolean; now?: Date} = {}): string {
  switch (format) {
    case 'name':
      return items.map((item) => resourceRef(kind, item.name)).join('\n')
    case 'json':
      return JSON.stringify(resourcesJson(kind, items, options), null, 2)
    case 'yaml':
      return items.map((item) => toYaml(kind, item, {includeStatus: true}).trimEnd()).join('\n---\n')
    default:
      return table(kind, items, options.now ?? new Date())
  }
}

/**
 * Resources of both kinds in one output (get -f): a table per kind (Backends, then Namespaces), otherwise in the
 * order given; JSON is one object when the files name one resource, a List otherwise (however many exist).
 */
export function renderMixed(found: {kind: Kind; resource: Resource<Kind>}[], format: OutputFormat, options: {single: boolean; now?: Date}): string {
  if (format === 'json') return JSON.stringify(mixedJson(found, options.single), null, 2)
  const kinds = (['Backend', 'Namespace'] as const).filter((kind) => found.some((f) => f.kind === kind))
  if (format === 'table') return kinds.map((kind) => table(kind, found.filter((f) => f.kind === kind).map((f) => f.resource), options.now ?? new Date())).join('\n\n')
  return found.map((f) => renderResources(f.kind, [f.resource], format, {single: true})).join(format === 'yaml' ? '\n---\n' : '\n')
}

export function mixedJson(found: {kind: Kind; resource: Resource<Kind>}[], single: boolean): Record<string, unknown> {
  return jsonOf(found.map((f) => toJsonObject(f.kind, f.resource)), single)
}
