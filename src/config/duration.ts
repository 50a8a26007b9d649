/** Durations as users type them on the command line: 500ms, 10s, 2m, 1h, 7d, or a bare number of seconds. */
import {usageError} from '../errors.js'

const UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000}

/** Milliseconds; a usage error naming `flag` unless the value is a positive duration. */
export function parseDuration(value: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim())
  const ms = match ? Number(match[1]) * UNITS[match[2] ?? 's']! : Number.NaN
  if (!(ms > 0)) throw usageError(`${flag} expects a duration such as 10s, 500ms, 2m or 1h, got "${value}"`)
  return Math.round(ms)
}
