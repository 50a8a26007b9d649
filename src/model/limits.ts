/**
 * Size limits on one resource, so one request cannot bloat the store or the proxies' memory. Checked by the CLI
 * before anything is sent and by the control plane (the authority) on every write, through validateNamespace /
 * validateBackend. The size of a whole request is capped separately by the server's gRPC message limit.
 */
import type {Backend, Namespace} from '../gen/prism/admin/v1/resources_pb.js'
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

function checkDescription(out: Violation[], value: string): void {
  if (value.length > LIMITS.maxDescriptionChars) out.push({path: 'description', message: `at most ${LIMITS.maxDescriptionChars} characters are allowed, got ${value.length}`})
}

export function namespaceLimitViolations(ns: Namespace): Violation[] {
  const out: Violation[] = []
  checkDescription(out, ns.description)
  checkMap(out, 'labels', ns.labels, LIMITS.maxLabels, LIMITS.maxLabelValueChars)
  if (ns.patterns.length > LIMITS.maxPatterns) out.push({path: 'patterns', message: `at most ${LIMITS.maxPatterns} patterns are allowed, got ${ns.patterns.length}`})
  ns.patterns.slice(0, LIMITS.maxPatterns).forEach((p, i) => {
    for (const direction of ['requires', 'produces'] as const) {
      const n = p[direction].length
      if (n > LIMITS.maxBindingsPerDirection) out.push({path: `patterns[${i}].${direction}`, message: `at most ${LIMITS.maxBindingsPerDirection} bindings are allowed, got ${n}`})
    }
    checkMap(out, `patterns[${i}].settings`, p.settings, LIMITS.maxSettings, LIMITS.maxSettingValueChars)
  })
  if (ns.auth && ns.auth.allowedGroups.length > LIMITS.maxAllowedGroups) {
    out.push({path: 'auth.allowedGroups', message: `at most ${LIMITS.maxAllowedGroups} groups are allowed, got ${ns.auth.allowedGroups.length}`})
  }
  return out
}

export function backendLimitViolations(b: Backend): Violation[] {
  const out: Violation[] = []
  checkDescription(out, b.description)
  checkMap(out, 'labels', b.labels, LIMITS.maxLabels, LIMITS.maxLabelValueChars)
  if (b.interfaces.length > LIMITS.maxInterfaces) out.push({path: 'interfaces', message: `at most ${LIMITS.maxInterfaces} interfaces are allowed, got ${b.interfaces.length}`})
  return out
}
