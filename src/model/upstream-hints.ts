/**
 * What to write instead, for users coming from upstream Prism's YAML (see the shapes in upstream's MEMO-086/087 and
 * pattern examples): a `namespaces:` list wrapping several namespaces, `pattern:` where a type goes, and
 * `backend: redis` naming a backend type rather than a registered backend.
 */
import {BackendType} from '../gen/prism/admin/v1/resources_pb.js'

const BACKEND_TYPE_NAMES = new Set(
  Object.values(BackendType)
    .filter((v): v is string => typeof v === 'string' && v !== 'UNSPECIFIED')
    .map((v) => v.toLowerCase()),
)

export const ONE_DOCUMENT_PER_NAMESPACE =
  'upstream Prism\'s "namespaces:" list is not used here: write one document per namespace (kind: Namespace, name, team, patterns), separated by ---'

/** Guidance for an unknown field of a message, when it is one of upstream's; `value` is the field's scalar value, if any. */
export function upstreamFieldHint(message: string, field: string, value: unknown): string | undefined {
  if (field === 'namespaces' && message === 'Namespace') return ONE_DOCUMENT_PER_NAMESPACE
  const type = typeof value === 'string' && value ? value : 'keyvalue'
  if (field === 'pattern' && message === 'Pattern') return `did you mean "type: ${type}"? A pattern's type is its type: field`
  if (field === 'pattern' && message === 'SlotBinding')
    return `a slot binding has only a slot and its backend (backend: NAME or backendType: TYPE), plus credentials; the pattern's type goes on the pattern itself ("type: ${type}", one level up)`
  if ((field === 'patternVersion' || field === 'pattern_version') && message === 'Pattern') return 'did you mean "version"?'
  return undefined
}

/** `; did you mean "backendType: redis"? …` when a binding's backend name is a backend type, or an empty string. */
export function backendTypeHint(name: string): string {
  const type = name.toLowerCase()
  if (!BACKEND_TYPE_NAMES.has(type)) return ''
  return `; did you mean "backendType: ${type}"? backend: names a registered backend, backendType: lets the control plane pick one of that type`
}
