/**
 * Size limits the server enforces on every write, so one request cannot bloat the store or the proxies' memory.
 * Exceeding one is INVALID_ARGUMENT with a field violation (the whole request size is capped by gRPC itself).
 */
import type {FieldViolation} from '../errors.js'
import type {Backend, Namespace} from '../gen/prism/admin/v1/resources_pb.js'

export const LIMITS = {
  /** Whole request, enforced by grpc.max_receive_message_length. */
  maxMessageBytes: 1024 * 1024,
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

const NAME = /^[a-z][a-z0-9-]{2,62}$/

/** Rule 1 of DESIGN.md §4, checked here too because names are store keys. */
export function checkName(field: string, value: string, what: string, violations: FieldViolation[], required = true): void {
  if (!value) {
    if (required) violations.push({field, description: `${what} is required`})
  } else if (!NAME.test(value)) {
    violations.push({field, description: `${what} "${value.slice(0, 80)}" must match ${NAME.source} (lowercase letters, digits and "-", 3 to 63 characters, starting with a letter)`})
  }
}

function checkMap(field: string, map: Record<string, string>, max: number, maxValue: number, violations: FieldViolation[]): void {
  const entries = Object.entries(map)
  if (entries.length > max) violations.push({field, description: `at most ${max} entries are allowed, got ${entries.length}`})
  for (const [key, value] of entries.slice(0, max)) {
    if (!key || key.length > LIMITS.maxLabelKeyChars) violations.push({field: `${field}["${key.slice(0, 80)}"]`, description: `keys must be 1 to ${LIMITS.maxLabelKeyChars} characters, got ${key.length}`})
    if (value.length > maxValue) violations.push({field: `${field}["${key.slice(0, 80)}"]`, description: `values must be at most ${maxValue} characters, got ${value.length}`})
  }
}

function checkDescription(field: string, value: string, violations: FieldViolation[]): void {
  if (value.length > LIMITS.maxDescriptionChars) violations.push({field, description: `at most ${LIMITS.maxDescriptionChars} characters are allowed, got ${value.length}`})
}

export function namespaceLimitViolations(ns: Namespace): FieldViolation[] {
  const v: FieldViolation[] = []
  checkDescription('description', ns.description, v)
  checkMap('labels', ns.labels, LIMITS.maxLabels, LIMITS.maxLabelValueChars, v)
  if (ns.patterns.length > LIMITS.maxPatterns) v.push({field: 'patterns', description: `at most ${LIMITS.maxPatterns} patterns are allowed, got ${ns.patterns.length}`})
  ns.patterns.slice(0, LIMITS.maxPatterns).forEach((p, i) => {
    for (const direction of ['requires', 'produces'] as const) {
      const n = p[direction].length
      if (n > LIMITS.maxBindingsPerDirection) v.push({field: `patterns[${i}].${direction}`, description: `at most ${LIMITS.maxBindingsPerDirection} bindings are allowed, got ${n}`})
    }
    checkMap(`patterns[${i}].settings`, p.settings, LIMITS.maxSettings, LIMITS.maxSettingValueChars, v)
  })
  if (ns.auth && ns.auth.allowedGroups.length > LIMITS.maxAllowedGroups) {
    v.push({field: 'auth.allowedGroups', description: `at most ${LIMITS.maxAllowedGroups} groups are allowed, got ${ns.auth.allowedGroups.length}`})
  }
  return v
}

export function backendLimitViolations(b: Backend): FieldViolation[] {
  const v: FieldViolation[] = []
  checkDescription('description', b.description, v)
  checkMap('labels', b.labels, LIMITS.maxLabels, LIMITS.maxLabelValueChars, v)
  if (b.interfaces.length > LIMITS.maxInterfaces) v.push({field: 'interfaces', description: `at most ${LIMITS.maxInterfaces} interfaces are allowed, got ${b.interfaces.length}`})
  return v
}
