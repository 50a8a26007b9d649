/** settings.retention as the proxy uses it: how long a mailbox, or a messaging backend, keeps messages. */
import {parseDuration} from '../config/duration.js'
import {RETENTION_BOUNDS} from '../model/pattern-registry.js'
import {messagingBackendOf, type Route, type RoutedPattern} from './routing.js'

export const DEFAULT_RETENTION = '7d'
const DEFAULT_RETENTION_MS = parseDuration(DEFAULT_RETENTION, 'settings.retention')
const MIN_MS = parseDuration(RETENTION_BOUNDS.min, 'min')
const MAX_MS = parseDuration(RETENTION_BOUNDS.max, 'max')

/** A pattern's settings.retention within the bounds validation sets; undefined when unset or unreadable. */
function setRetentionMs(pattern: RoutedPattern): number | undefined {
  if (!pattern.settings.retention) return undefined
  try {
    // The control plane refuses what is out of bounds; one applied before that rule existed is held to them.
    return Math.min(Math.max(parseDuration(pattern.settings.retention, 'settings.retention'), MIN_MS), MAX_MS)
  } catch {
    return undefined
  }
}

/** A mailbox's retention: its settings.retention, 7 days by default. */
export function retentionMs(pattern: RoutedPattern): number {
  return setRetentionMs(pattern) ?? DEFAULT_RETENTION_MS
}

/**
 * How long a backend keeps what a namespace publishes to it. Its messaging patterns bound to that backend share the
 * namespace's topics there (a producer's and a consumer's alike), so one value holds for all: the longest any of
 * them sets. Undefined when none sets one: the backend keeps messages as it does by itself (nothing is pruned).
 */
export function messageRetentionMs(route: Route, backend: string): number | undefined {
  let longest: number | undefined
  for (const pattern of route.patterns) {
    if (messagingBackendOf(pattern) !== backend) continue
    const ms = setRetentionMs(pattern)
    if (ms !== undefined && (longest === undefined || ms > longest)) longest = ms
  }
  return longest
}

/** How often what outlived a retention is deleted: every quarter of it, at least every second, at most every minute. */
export function pruneEvery(retentionMs: number): number {
  return Math.min(60_000, Math.max(1000, Math.floor(retentionMs / 4)))
}
