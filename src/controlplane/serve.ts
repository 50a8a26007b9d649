/**
 * `prismctl admin serve`: open the store, pick the authenticator, start the server, and run until SIGTERM/SIGINT,
 * then drain in-flight calls (bounded) and return.
 */
import {parseDuration} from '../config/duration.js'
import {transportNote, type ServerTls, type TransportLimits} from '../api/server-transport.js'
import {splitListen} from '../api/listen.js'
import {PrismError, usageError} from '../errors.js'
import {anonymousAuthenticator, type Authenticator} from './authn.js'
import {defaultStoreUrl, openStore} from './store.js'

export interface ServeOptions {
  listen: string
  /** Store URL; default: SQLite under the config dir. */
  store?: string
  /** Keep trying to open the store for this long (a database container still starting); 0: fail at once. */
  storeWaitMs?: number
  auth: 'none' | 'oidc'
  issuer?: string
  audience?: string
  jwksUrl?: string
  roleMap?: string
  /** How long SIGTERM waits for in-flight calls before cutting them off. */
  drainMs?: number
  /** Audit entries older than this are pruned, e.g. 90d (the default). */
  auditRetention?: string
  tls?: ServerTls
  transportLimits?: Partial<TransportLimits>
}

export interface ServeIO {
  /** The listening line (stdout). */
  out(line: string): void
  /** Warnings and lifecycle notes (stderr). */
  warn(line: string): void
}

async function authenticatorFor(options: ServeOptions, io: ServeIO): Promise<Authenticator> {
  if (options.auth === 'none') {
    io.warn('WARNING: --auth none: this control plane accepts ANY caller as admin, without a token. Use it only on a trusted machine.')
    return anonymousAuthenticator
  }
  if (!options.issuer) throw usageError('--auth oidc needs --issuer', 'e.g. --auth oidc --issuer http://localhost:5556/dex --audience prismctl')
  const [{createJwtAuthenticator}, {parseRoleMap}] = await Promise.all([import('../jwt/verifier.js'), import('../jwt/roles.js')])
  return createJwtAuthenticator({
    issuer: options.issuer,
    audience: options.audience ?? 'prismctl',
    jwksUrl: options.jwksUrl,
    roleMap: options.roleMap ? parseRoleMap(options.roleMap) : undefined,
  })
}

export interface StartedControlPlane {
  address: string
  store: string
  /** Lets in-flight calls finish (bounded by drainMs), then closes the server and the store. */
  shutdown(): Promise<void>
}

/**
 * Retries an unreachable store (UNAVAILABLE) until waitMs has passed; other errors fail at once. Every 100–200 ms:
 * what it waits for is a database starting beside it, and each second of backoff would be a second of waiting
 * after it is up (a refused connection costs next to nothing).
 */
async function openStoreWaiting(url: string, waitMs: number, io: ServeIO): Promise<Awaited<ReturnType<typeof openStore>>> {
  const started = Date.now()
  const deadline = started + waitMs
  // A reason is logged when it changes (refused, then "starting up", …), so the log shows how far the store got.
  let last = ''
  for (let delay = 100; ; delay = Math.min(delay * 2, 200)) {
    try {
      const store = await openStore(url)
      if (last) io.warn(`store reachable after ${((Date.now() - started) / 1000).toFixed(1)} s`)
      return store
    } catch (err) {
      if (!(err instanceof PrismError) || err.code !== 'UNAVAILABLE' || Date.now() + delay > deadline) throw err
      if (err.message !== last) io.warn(`${err.message}; ${last ? 'still retrying' : `retrying for up to ${Math.round(waitMs / 1000)} s`} (--store-wait)`)
      last = err.message
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
}

/** Opens the store and starts the server; the caller decides when to shut it down. */
export async function startControlPlane(options: ServeOptions, io: ServeIO): Promise<StartedControlPlane> {
  splitListen(options.listen, '--listen')
  const auditRetentionMs = options.auditRetention === undefined ? undefined : parseDuration(options.auditRetention, '--audit-retention')
  const authenticator = await authenticatorFor(options, io)
  const store = await openStoreWaiting(options.store ?? defaultStoreUrl(), options.storeWaitMs ?? 0, io)
  const {createServer} = await import('./server.js')
  let server
  try {
    server = await createServer({store, authenticator, listen: options.listen, log: io.warn, auditRetentionMs, tls: options.tls, transportLimits: options.transportLimits})
  } catch (err) {
    await store.close()
    throw err
  }
  io.out(`control plane listening on ${server.address}${transportNote(options.tls)}`)
  io.warn(`store: ${store.engine} ${store.location}`)
  return {
    address: server.address,
    store: store.location,
    shutdown: () =>
      server.shutdown(options.drainMs ?? 10_000).catch((err: unknown) => {
        throw new PrismError(`Shutdown failed: ${(err as Error).message}`, {cause: err})
      }),
  }
}

/** Resolves once the server has stopped after a signal. */
export async function serveControlPlane(options: ServeOptions, io: ServeIO): Promise<{address: string; store: string}> {
  const started = await startControlPlane(options, io)
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'))
    process.once('SIGINT', () => resolve('SIGINT'))
  })
  io.warn(`${signal}: draining in-flight calls`)
  await started.shutdown()
  io.warn('control plane stopped')
  return {address: started.address, store: started.store}
}
