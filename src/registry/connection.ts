/**
 * Where the control plane is and how long to wait for it: the registry commands' shared connection options,
 * resolved through the context (flag > PRISM_ADMIN_ENDPOINT > current context > default).
 */
import {connectAdmin, type AdminClient} from '../api/admin-client.js'
import {resolveContext} from '../config/contexts.js'
import {usageError} from '../errors.js'

export interface ConnectionOptions {
  context?: string
  adminEndpoint?: string
  /** e.g. "10s", "500ms", "2m", or a bare number of seconds. */
  timeout?: string
}

const UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000}

/** Parses `--timeout`; undefined when not given. */
export function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim())
  const ms = match ? Number(match[1]) * UNITS[match[2] ?? 's']! : Number.NaN
  if (!(ms > 0)) throw usageError(`--timeout expects a duration such as 10s, 500ms or 2m, got "${value}"`)
  return Math.round(ms)
}

/** Opens a client for the call(s) in `fn` and always closes it, so the process can exit promptly. */
export async function withAdmin<T>(options: ConnectionOptions, fn: (admin: AdminClient) => Promise<T>): Promise<T> {
  const timeoutMs = parseTimeout(options.timeout)
  const ctx = resolveContext({context: options.context, adminEndpoint: options.adminEndpoint})
  const admin = await connectAdmin(ctx, {timeoutMs})
  try {
    return await fn(admin)
  } finally {
    admin.close()
  }
}
