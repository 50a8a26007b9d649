/** How drivers report a backend they cannot use: one wording, naming the backend and its address, never credentials. */
import {isPrismError, PrismError} from '../../errors.js'

/**
 * `connected` false: the backend cannot be reached (UNAVAILABLE); true: it answered with an error (INTERNAL,
 * with the backend's message, which carries no credentials).
 */
export function unavailable(backend: string, where: string, err: unknown, connected = false): PrismError {
  if (isPrismError(err)) return err
  const reason = (err as Error)?.message ?? String(err)
  if (connected) return new PrismError(`backend ${backend} (${where}) failed: ${reason}`, {code: 'INTERNAL', cause: err})
  return new PrismError(`backend ${backend} (${where}) is unavailable: ${reason}`, {
    code: 'UNAVAILABLE',
    hint: 'The proxy reconnects by itself; retry shortly. Check that the backend is running (prismctl proxy status shows each backend).',
    cause: err,
  })
}
