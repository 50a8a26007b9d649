/** A namespace's session manager as the routing table has it: its slots' backends and its idle timeout. */
import {parseDuration} from '../../config/duration.js'
import {PrismError} from '../../errors.js'
import {SESSION_MANAGER} from '../../model/pattern-registry.js'
import type {Route} from '../routing.js'

export interface SessionManagerConfig {
  namespace: string
  pattern: string
  storeBackend: string
  /** The session-store binding's own credentials in Vault, when it names them. */
  storeVaultPath?: string
  /** Absent: no session-events slot bound, no events. */
  eventsBackend?: string
  eventsVaultPath?: string
  /** Absent: sessions last as long as their tokens. */
  idleMs?: number
}

/** `settings.idleTimeout` (e.g. 30m, 90s, or seconds); a FAILED_PRECONDITION naming the namespace when it is not a duration. */
export function idleTimeoutMs(value: string | undefined, namespace: string): number | undefined {
  if (value === undefined || value.trim() === '') return undefined
  try {
    return parseDuration(value, 'settings.idleTimeout')
  } catch {
    throw new PrismError(`the session manager of namespace ${namespace} has settings.idleTimeout "${value}", which is not a duration`, {
      code: 'FAILED_PRECONDITION',
      hint: 'Set it to a duration such as 30m, 90s or 1h (or remove it) and apply the namespace again.',
    })
  }
}

/** Parsed once per route: routes are immutable and replaced with the table. */
const parsed = new WeakMap<Route, SessionManagerConfig | PrismError>()

/** The namespace's session manager; FAILED_PRECONDITION when it has none (or none this proxy can use). */
export function sessionManagerOf(route: Route): SessionManagerConfig {
  let config = parsed.get(route)
  if (!config) {
    try {
      config = parse(route)
    } catch (err) {
      config = err as PrismError
    }
    parsed.set(route, config)
  }
  if (config instanceof PrismError) throw config
  return config
}

export const hasSessionManager = (route: Route) => route.patterns.some((p) => p.type === SESSION_MANAGER)

function parse(route: Route): SessionManagerConfig {
  const pattern = route.patterns.find((p) => p.type === SESSION_MANAGER)
  if (!pattern) {
    throw new PrismError(`namespace ${route.namespace} has no session manager`, {code: 'FAILED_PRECONDITION', hint: 'Add a session-manager as its first pattern, with a session-store slot.'})
  }
  const storeBackend = pattern.slots['session-store']
  if (!storeBackend) {
    throw new PrismError(`the session manager ${pattern.name} of namespace ${route.namespace} has no backend bound to its session-store slot`, {
      code: 'FAILED_PRECONDITION',
      hint: 'Bind the session-store slot to a keyvalue backend with TTL (redis, memstore, postgres) and apply the namespace again.',
    })
  }
  const eventsBackend = pattern.slots['session-events']
  const idleMs = idleTimeoutMs(pattern.settings.idleTimeout, route.namespace)
  const {'session-store': storeVaultPath, 'session-events': eventsVaultPath} = pattern.vaultPaths
  return {
    namespace: route.namespace,
    pattern: pattern.name,
    storeBackend,
    ...(storeVaultPath ? {storeVaultPath} : {}),
    ...(eventsBackend ? {eventsBackend} : {}),
    ...(eventsBackend && eventsVaultPath ? {eventsVaultPath} : {}),
    ...(idleMs ? {idleMs} : {}),
  }
}
