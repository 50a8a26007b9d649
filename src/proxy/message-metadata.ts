/**
 * Upstream's message metadata keys (prismctl `publish message`, RFC-037). The `prism-` prefix is Prism's: a caller
 * may describe its message with the four descriptive keys, while the principal and the namespace are what the proxy
 * verified and always overwrite whatever the caller sent (in any letter case). Any other `prism-` key is refused,
 * so that no key the proxy sets now or later can be forged by a caller. `x-sequence` and the rest are the caller's.
 */
import type {Principal} from '../controlplane/authn.js'
import {PrismError} from '../errors.js'
import {META} from '../model/metadata-keys.js'


const DESCRIPTIVE = new Set<string>([META.contentType, META.correlationId, META.schemaId, META.encryption])
const STAMPED = new Set<string>([META.principal, META.namespace])

/** The caller's metadata with the proxy's principal and namespace; INVALID_ARGUMENT for a reserved key it may not set. */
export function stampMetadata(metadata: Record<string, string>, principal: Principal, namespace: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(metadata)) {
    const lower = key.toLowerCase()
    if (STAMPED.has(lower)) continue
    if (lower.startsWith('prism-') && !DESCRIPTIVE.has(lower)) {
      throw new PrismError(`metadata key ${key.slice(0, 64)} is reserved for Prism`, {
        code: 'INVALID_ARGUMENT',
        hint: `A publisher may set ${[...DESCRIPTIVE].join(', ')}; the proxy sets ${[...STAMPED].join(' and ')}. Name your own keys without the prism- prefix (e.g. x-…).`,
      })
    }
    out[key] = value
  }
  out[META.principal] = principal.name
  out[META.namespace] = namespace
  return out
}
