/** settings.retention of a pattern as the proxy uses it: how long a mailbox, or a messaging backend, keeps messages. */
import {parseDuration} from '../config/duration.js'
import type {RoutedPattern} from './routing.js'

export const DEFAULT_RETENTION = '7d'
export const DEFAULT_RETENTION_MS = 7 * 86_400_000
/** What validation allows (3650d); one applied before that rule existed is held to it. */
const MAX_RETENTION_MS = 3650 * 86_400_000

export function retentionMs(pattern: RoutedPattern): number {
  try {
    return Math.min(parseDuration(pattern.settings.retention || DEFAULT_RETENTION, 'settings.retention'), MAX_RETENTION_MS)
  } catch {
    // The control plane refuses such a value; one applied before that rule existed keeps the default.
    return DEFAULT_RETENTION_MS
  }
}

/** How often what outlived a retention is deleted: every quarter of it, at least every second, at most every minute. */
export function pruneEvery(retentionMs: number): number {
  return Math.min(60_000, Math.max(1000, Math.floor(retentionMs / 4)))
}
