/**
 * Layers 3 and 4 of the control plane (DESIGN.md §5): pick each pattern's version from the registry, then give
 * every slot a backend. A slot bound by name gets that backend if it exists and implements the slot's interfaces
 * (rule 6); a slot bound by type gets the backend it had before if that still fits (so unrelated edits never move
 * data), else the alphabetically first registered backend of that type that fits. Every binding problem is collected.
 */
import {create} from '@bufbuild/protobuf'

import type {FieldViolation} from '../errors.js'
import {BackendType, ResolvedBindingSchema, ResolvedPatternSchema} from '../gen/prism/admin/v1/resources_pb.js'
import type {Backend, Namespace, NamespaceStatus, ResolvedBinding, ResolvedPattern} from '../gen/prism/admin/v1/resources_pb.js'
import {DEFAULT_INTERFACES, findPattern, resolvePatternVersion, slotFits, slotMisses, slotNeeds} from '../model/pattern-registry.js'
import {backendTypeHint} from '../model/upstream-hints.js'
import {NAME_PATTERN} from '../model/validate.js'
import {showableUrl} from '../ui/debug.js'

export interface BackendCatalog {
  byName(name: string): Promise<Backend | undefined>
  /** Every registered backend of a type, ordered by name. */
  byType(type: BackendType): Promise<Backend[]>
}

export interface Resolution {
  patterns: ResolvedPattern[]
  /** Names of every backend the namespace binds. */
  binds: string[]
  violations: FieldViolation[]
}

const typeName = (type: BackendType) => BackendType[type] ?? String(type)

/** A backend's interfaces: the declared ones, or its type's defaults when it declares none. */
function effectiveInterfaces(b: Backend): readonly string[] {
  return b.interfaces.length > 0 ? b.interfaces : DEFAULT_INTERFACES[b.type] ?? []
}

/** How a proxy reaches the backend. */
export function connectionOf(b: Backend): string {
  const c = b.config
  switch (c.case) {
    case 'redis':
      return `${c.value.tls ? 'rediss' : 'redis'}://${c.value.address}/${c.value.database}`
    // Credentials in a URL (refused since; a backend stored before) are not copied into what viewers read.
    case 'nats':
      return showableUrl(c.value.url)
    case 'kafka':
      return `kafka://${c.value.brokers.join(',')}`
    case 'postgres':
      return `postgres://${c.value.host}:${c.value.port || 5432}/${c.value.database}${c.value.sslmode ? `?sslmode=${c.value.sslmode}` : ''}`
    case 'sqlite':
      return `sqlite://${c.value.path}`
    case 's3':
      return `s3://${c.value.bucket}${c.value.endpoint ? `?endpoint=${encodeURIComponent(showableUrl(c.value.endpoint))}` : ''}${c.value.region ? `${c.value.endpoint ? '&' : '?'}region=${c.value.region}` : ''}`
    case 'memstore':
      return 'memstore://'
    default:
      return ''
  }
}

export async function resolveNamespace(ns: Namespace, catalog: BackendCatalog, previous: NamespaceStatus | undefined): Promise<Resolution> {
  const violations: FieldViolation[] = []
  const patterns: ResolvedPattern[] = []
  const binds = new Set<string>()
  const previousChoice = new Map<string, string>()
  for (const p of previous?.patterns ?? []) for (const b of p.bindings) if (b.chosen) previousChoice.set(`${p.name}/${b.direction}/${b.slot}`, b.backend)

  // An unknown pattern type, version or slot, a slot bound twice or left out, a binding without a target, a malformed
  // backend name or type: validateNamespace reports those (the service runs both), so they are skipped here.
  for (const [i, pattern] of ns.patterns.entries()) {
    const spec = findPattern(pattern.type)
    const version = spec && resolvePatternVersion(spec, pattern.version)
    if (!spec || !version) continue
    const resolved = create(ResolvedPatternSchema, {name: pattern.name, type: spec.type, version: version.version})
    for (const direction of ['requires', 'produces'] as const) {
      const bound = new Set<string>()
      for (const [j, binding] of pattern[direction].entries()) {
        const path = `patterns[${i}].${direction}[${j}]`
        const slot = version.slots.find((s) => s.name === binding.slot && s.direction === direction)
        if (!slot || bound.has(slot.name)) continue
        bound.add(slot.name)
        const fits = (b: Backend) => slotFits(slot, effectiveInterfaces(b))
        let backend: Backend | undefined
        let chosen = false
        const target = binding.target
        if (target.case === 'backend') {
          if (!NAME_PATTERN.test(target.value)) continue
          backend = await catalog.byName(target.value)
          if (!backend) {
            violations.push({field: `${path}.backend`, description: `backend "${target.value}" is not registered${backendTypeHint(target.value)}`})
            continue
          }
          if (!fits(backend)) {
            const missing = slotMisses(slot, effectiveInterfaces(backend!))
            violations.push({field: `${path}.backend`, description: `backend "${backend.name}" (${typeName(backend.type)}) does not implement ${missing.join(', ')}, which slot "${slot.name}" requires`})
            continue
          }
        } else if (target.case === 'backendType' && target.value !== BackendType.UNSPECIFIED && target.value in BackendType) {
          const candidates = (await catalog.byType(target.value)).filter(fits)
          const before = previousChoice.get(`${pattern.name}/${direction}/${slot.name}`)
          backend = candidates.find((b) => b.name === before) ?? candidates[0]
          chosen = true
          if (!backend) {
            violations.push({field: `${path}.backendType`, description: `no registered ${typeName(target.value)} backend implements ${slotNeeds(slot)}, which slot "${slot.name}" requires; register one first`})
            continue
          }
        } else {
          continue
        }
        binds.add(backend.name)
        resolved.bindings.push(
          create(ResolvedBindingSchema, {
            slot: slot.name,
            direction,
            backend: backend.name,
            backendType: backend.type,
            chosen,
            connection: connectionOf(backend),
            credentialsPath: binding.credentials?.source.case === 'vaultPath' ? binding.credentials.source.value : `vault://secret/data/prism/${ns.name}/${slot.name}`,
            interfaces: [...slot.interfaces, ...(slot.anyOf ?? []).filter((x) => effectiveInterfaces(backend!).includes(x))],
          }) as ResolvedBinding,
        )
      }
    }
    patterns.push(resolved)
  }
  return {patterns, binds: [...binds].sort(), violations}
}
