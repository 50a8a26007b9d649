/**
 * Size limits on one resource, so one request cannot bloat the store or the proxies' memory. Checked by the CLI
 * before anything is sent and by the control plane (the authority) on every write, through validateNamespace /
 * validateBackend. The size of a whole request is capped separately by the server's gRPC message limit.
 */
import type {Backend, Credentials, Namespace} from '../gen/prism/admin/v1/resources_pb.js'
import type {Violation} from './validate.js'

const LIMITS = {
  maxLabels: 64,
  maxLabelKeyChars: 63,
  maxLabelValueChars: 256,
  maxPatterns: 32,
  maxBindingsPerDirection: 16,
  maxSettings: 64,
  maxSettingValueChars: 4096,
  maxDescriptionChars: 1024,
  maxInterfaces: 32,
  maxAllowedGroups: 64,
  maxGroupChars: 256,
  /** Label filters of one ListNamespaces call (each one is a condition the store evaluates per row). */
  maxLabelFilters: 16,
  /** Kafka brokers: the only list in a config block. */
  maxKafkaBrokers: 64,
  /** Any string of a backend's config block: an address, URL, host, bucket, path, client id… */
  maxConfigValueChars: 1024,
  maxVaultPathChars: 1024,
  /** Each of a static username, password and token. */
  maxStaticCredentialChars: 4096,
} as const

// Paths name a map entry as `labels["key"]` (what documents.ts locates); a huge key is cut so the message stays
// readable, and then the path points at the map itself.
const entryPath = (path: string, key: string) => `${path}[${JSON.stringify(key.slice(0, 80))}]`

function checkMap(out: Violation[], path: string, map: Record<string, string>, max: number, maxValue: number): void {
  const entries = Object.entries(map)
  if (entries.length > max) out.push({path, message: `at most ${max} entries are allowed, got ${entries.length}`})
  // Past the limit the entries are not looked at: the count is the problem, and the work stays bounded.
  for (const [key, value] of entries.slice(0, max)) {
    if (!key || key.length > LIMITS.maxLabelKeyChars) out.push({path: entryPath(path, key), message: `keys must be 1 to ${LIMITS.maxLabelKeyChars} characters, got ${key.length}`})
    if (value.length > maxValue) out.push({path: entryPath(path, key), message: `values must be at most ${maxValue} characters, got ${value.length}`})
  }
}

function checkLength(out: Violation[], path: string, value: string, max: number): void {
  if (value.length > max) out.push({path, message: `at most ${max} characters are allowed, got ${value.length}`})
}

function checkCredentials(out: Violation[], path: string, credentials: Credentials | undefined): void {
  const source = credentials?.source
  if (source?.case === 'vaultPath') checkLength(out, `${path}.vaultPath`, source.value, LIMITS.maxVaultPathChars)
  if (source?.case === 'static') {
    for (const field of ['username', 'password', 'token'] as const) checkLength(out, `${path}.static.${field}`, source.value[field], LIMITS.maxStaticCredentialChars)
  }
}

/** Every string (and list of strings) of a backend's config block, whatever its type. */
function checkConfig(out: Violation[], config: Backend['config']): void {
  if (config.case === undefined) return
  for (const [field, value] of Object.entries(config.value)) {
    if (field.startsWith('$')) continue // protobuf-es bookkeeping ($typeName), not a field
    const path = `${config.case}.${field}`
    if (typeof value === 'string') checkLength(out, path, value, LIMITS.maxConfigValueChars)
    if (!Array.isArray(value)) continue
    if (value.length > LIMITS.maxKafkaBrokers) out.push({path, message: `at most ${LIMITS.maxKafkaBrokers} entries are allowed, got ${value.length}`})
    value.slice(0, LIMITS.maxKafkaBrokers).forEach((item: string, i) => checkLength(out, `${path}[${i}]`, item, LIMITS.maxConfigValueChars))
  }
}

export function namespaceLimitViolations(ns: Namespace): Violation[] {
  const out: Violation[] = []
  checkLength(out, 'description', ns.description, LIMITS.maxDescriptionChars)
  checkMap(out, 'labels', ns.labels, LIMITS.maxLabels, LIMITS.maxLabelValueChars)
  if (ns.patterns.length > LIMITS.maxPatterns) out.push({path: 'patterns', message: `at most ${LIMITS.maxPatterns} patterns are allowed, got ${ns.patterns.length}`})
  ns.patterns.slice(0, LIMITS.maxPatterns).forEach((p, i) => {
    for (const direction of ['requires', 'produces'] as const) {
      const n = p[direction].length
      if (n > LIMITS.maxBindingsPerDirection) out.push({path: `patterns[${i}].${direction}`, message: `at most ${LIMITS.maxBindingsPerDirection} bindings are allowed, got ${n}`})
    }
    checkMap(out, `patterns[${i}].settings`, p.settings, LIMITS.maxSettings, LIMITS.maxSettingValueChars)
    for (const direction of ['requires', 'produces'] as const) {
      p[direction].slice(0, LIMITS.maxBindingsPerDirection).forEach((b, j) => checkCredentials(out, `patterns[${i}].${direction}[${j}].credentials`, b.credentials))
    }
  })
  const groups = ns.auth?.allowedGroups ?? []
  if (groups.length > LIMITS.maxAllowedGroups) out.push({path: 'auth.allowedGroups', message: `at most ${LIMITS.maxAllowedGroups} groups are allowed, got ${groups.length}`})
  groups.slice(0, LIMITS.maxAllowedGroups).forEach((g, i) => checkLength(out, `auth.allowedGroups[${i}]`, g, LIMITS.maxGroupChars))
  return out
}

export function backendLimitViolations(b: Backend): Violation[] {
  const out: Violation[] = []
  checkLength(out, 'description', b.description, LIMITS.maxDescriptionChars)
  checkMap(out, 'labels', b.labels, LIMITS.maxLabels, LIMITS.maxLabelValueChars)
  if (b.interfaces.length > LIMITS.maxInterfaces) out.push({path: 'interfaces', message: `at most ${LIMITS.maxInterfaces} interfaces are allowed, got ${b.interfaces.length}`})
  checkConfig(out, b.config)
  checkCredentials(out, 'credentials', b.credentials)
  return out
}

/** The label filters of one list call: at most maxLabelFilters, keys and values as long as labels may be. */
export function labelFilterViolations(labels: Record<string, string>): Violation[] {
  const count = Object.keys(labels).length
  if (count > LIMITS.maxLabelFilters) return [{path: 'labels', message: `at most ${LIMITS.maxLabelFilters} label filters are allowed, got ${count}`}]
  const out: Violation[] = []
  checkMap(out, 'labels', labels, LIMITS.maxLabelFilters, LIMITS.maxLabelValueChars)
  return out
}
