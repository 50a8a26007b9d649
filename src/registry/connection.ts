/**
 * Where the control plane is and how long to wait for it: the registry commands' shared connection options,
 * resolved through the context (flag > PRISM_ADMIN_ENDPOINT > current context > default).
 */
import {connectAdmin, type AdminClient} from '../api/admin-client.js'
import {resolveContext} from '../config/contexts.js'
import {parseDuration} from '../config/duration.js'

export interface ConnectionOptions {
  context?: string
  adminEndpoint?: string
  /** e.g. "10s", "500ms", "2m", or a bare number of seconds. */
  timeout?: string
  /** Allow a bearer over plaintext to a non-loopback address. */
  insecurePlaintext?: boolean
}

/** The parsed connection flags (plus the global --context) as the registry functions take them. */
export function connectionOf(flags: {context?: string; 'admin-endpoint'?: string; timeout?: string; 'insecure-plaintext'?: boolean}): ConnectionOptions {
  return {context: flags.context, adminEndpoint: flags['admin-endpoint'], timeout: flags.timeout, insecurePlaintext: flags['insecure-plaintext']}
}

/** Parses `--timeout`; undefined when not given. */
export function parseTimeout(value: string | undefined): number | undefined {
  return value === undefined ? undefined : parseDuration(value, '--timeout')
}

/** Opens a client for the call(s) in `fn` and always closes it, so the process can exit promptly. */
export async function withAdmin<T>(options: ConnectionOptions, fn: (admin: AdminClient) => Promise<T>): Promise<T> {
  const timeoutMs = parseTimeout(options.timeout)
  const ctx = resolveContext({context: options.context, adminEndpoint: options.adminEndpoint, insecurePlaintext: options.insecurePlaintext})
  const admin = await connectAdmin(ctx, {timeoutMs})
  try {
    return await fn(admin)
  } finally {
    admin.close()
  }
}
