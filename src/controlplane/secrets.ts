/**
 * Static credentials are stored but never returned in clear: responses, watch events and audit messages carry the
 * literal "REDACTED" instead of a password or token. On write, "REDACTED" means "keep what is stored", so a
 * resource exported with `get -o yaml` applies back unchanged.
 */
import type {FieldViolation} from '../errors.js'
import {showableUrl} from '../ui/debug.js'
import type {Backend, Credentials, Namespace, SlotBinding} from '../gen/prism/admin/v1/resources_pb.js'

export const REDACTED = 'REDACTED'

function redactCredentials(credentials: Credentials | undefined): void {
  if (credentials?.source.case !== 'static') return
  const s = credentials.source.value
  if (s.password) s.password = REDACTED
  if (s.token) s.token = REDACTED
}

/** Redacts in place; callers pass a message of their own (freshly decoded). */
export function redactNamespace(ns: Namespace): Namespace {
  for (const p of ns.patterns) for (const b of [...p.requires, ...p.produces]) redactCredentials(b.credentials)
  return ns
}

export function redactBackend(b: Backend): Backend {
  redactCredentials(b.credentials)
  // A password in a URL (validation refuses it now; a backend stored before may have one). Applying such an export
  // back is refused with the hint to move it into credentials.
  if (b.config.case === 'nats') b.config.value.url = showableUrl(b.config.value.url)
  if (b.config.case === 's3') b.config.value.endpoint = showableUrl(b.config.value.endpoint)
  return b
}

function restoreCredentials(prefix: string, incoming: Credentials | undefined, stored: Credentials | undefined, violations: FieldViolation[]): void {
  if (incoming?.source.case !== 'static') return
  const s = incoming.source.value
  const kept = stored?.source.case === 'static' ? stored.source.value : undefined
  for (const key of ['password', 'token'] as const) {
    if (s[key] !== REDACTED) continue
    if (kept?.[key]) s[key] = kept[key]
    else violations.push({field: `${prefix}credentials.static.${key}`, description: `"${REDACTED}" stands for the stored ${key}, but none is stored here; give the real value`})
  }
}

/** A static password or token given in clear (not the placeholder), which a write compares with the stored one. */
function holdsClearSecret(credentials: Credentials | undefined): boolean {
  if (credentials?.source.case !== 'static') return false
  const s = credentials.source.value
  return [s.password, s.token].some((v) => v !== '' && v !== REDACTED)
}

/**
 * Whether a resource sent for writing carries a static secret in clear. A server dry run of it tells the caller
 * whether that secret equals the stored one (unchanged or configured), so such dry runs are audited.
 */
export function sendsClearSecret(resource: Namespace | Backend, kind: 'namespace' | 'backend'): boolean {
  if (kind === 'backend') return holdsClearSecret((resource as Backend).credentials)
  return (resource as Namespace).patterns.some((p) => [...p.requires, ...p.produces].some((b) => holdsClearSecret(b.credentials)))
}

const slotKey = (pattern: string, direction: string, slot: string) => `${pattern}\u0000${direction}\u0000${slot}`

/** Replaces "REDACTED" placeholders in `incoming` (in place) with the stored secrets of the same pattern slot. */
export function restoreNamespaceSecrets(incoming: Namespace, stored: Namespace | undefined): FieldViolation[] {
  const violations: FieldViolation[] = []
  const storedBindings = new Map<string, SlotBinding>()
  for (const p of stored?.patterns ?? []) {
    for (const direction of ['requires', 'produces'] as const) for (const b of p[direction]) storedBindings.set(slotKey(p.name, direction, b.slot), b)
  }
  incoming.patterns.forEach((p, i) => {
    for (const direction of ['requires', 'produces'] as const) {
      p[direction].forEach((b, j) => restoreCredentials(`patterns[${i}].${direction}[${j}].`, b.credentials, storedBindings.get(slotKey(p.name, direction, b.slot))?.credentials, violations))
    }
  })
  return violations
}

export function restoreBackendSecrets(incoming: Backend, stored: Backend | undefined): FieldViolation[] {
  const violations: FieldViolation[] = []
  restoreCredentials('', incoming.credentials, stored?.credentials, violations)
  return violations
}
