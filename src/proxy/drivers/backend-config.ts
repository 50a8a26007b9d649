/**
 * What every driver reads from a registered Backend, and the errors every driver throws the same way: its own
 * config message, its static credentials, and UNAVAILABLE naming the backend and its address (never a secret).
 */
import type {Backend, StaticCredentials} from '../../gen/prism/admin/v1/resources_pb.js'
import {PrismError} from '../../errors.js'
import {redactKnown} from '../../ui/debug.js'

type ConfigCase = Exclude<Backend['config']['case'], undefined>
type ConfigOf<K extends ConfigCase> = Extract<Backend['config'], {case: K}>['value']

/** The backend's config message of the given kind; FAILED_PRECONDITION when it carries another one (or none). */
export function backendConfig<K extends ConfigCase>(backend: Backend, kind: K): ConfigOf<K> {
  if (backend.config.case !== kind) {
    throw new PrismError(`backend ${backend.name} has no ${kind} config`, {
      code: 'FAILED_PRECONDITION',
      hint: `Register it with a "${kind}:" section (prismctl backend update ${backend.name} -f FILE).`,
    })
  }
  return backend.config.value as ConfigOf<K>
}

/** Static credentials in clear (the proxy-role Watch carries them); undefined for none or a Vault reference. */
export function staticCredentials(backend: Backend): StaticCredentials | undefined {
  return backend.credentials?.source.case === 'static' ? backend.credentials.source.value : undefined
}

/** Removes every secret of the backend from a client library's message before it goes into an error or a log. */
export function scrub(text: string, backend: Backend): string {
  const creds = staticCredentials(backend)
  return redactKnown(text, [creds?.password, creds?.token])
}

export function unavailable(backend: Backend, address: string, cause: unknown): PrismError {
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new PrismError(`backend ${backend.name} (${address}) is unavailable: ${scrub(reason, backend)}`, {
    code: 'UNAVAILABLE',
    hint: 'Check that the backend is running and reachable from the proxy; the next call tries again.',
    cause,
  })
}

export function invalidArgument(message: string, hint?: string): PrismError {
  return new PrismError(message, {code: 'INVALID_ARGUMENT', hint})
}
