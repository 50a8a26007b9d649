/**
 * The proxy's lease at the control plane: it names the namespaces this proxy serves, so they show ACTIVE, and
 * expires on its own when the proxy dies.
 */
import type {AdminClient} from '../api/admin-client.js'

export interface LeaseOptions {
  admin: Pick<AdminClient, 'call'>
  proxyId: string
  version: string
  log: (line: string) => void
  /** Lease lifetime; renewed every third of it. */
  ttlSeconds?: number
}

export interface LeaseKeeper {
  /** The served namespaces changed: renew shortly with the new list. */
  renewSoon(): void
  /** Stops renewing and releases the lease (after a renewal in flight, up to a second, so that one cannot bring it back). */
  release(): Promise<void>
}

/** How long after a table change the lease is renewed: changes arriving together make one renewal. */
const SOON_MS = 50
/** How soon a failed renewal is tried again. */
const RETRY_MS = 1_000
/** How long release() waits for a renewal in flight before it releases anyway. */
const RELEASE_WAIT_MS = 1_000

/**
 * Renews every third of the lease's lifetime, and soon after the served namespaces change. One renewal at a time:
 * a change while one is in flight (which carries the old list) is followed by another at once, so the control plane
 * never keeps an old list until the next periodic renewal.
 */
export function leaseKeeper(options: LeaseOptions, namespaces: () => string[]): LeaseKeeper {
  const ttl = options.ttlSeconds ?? 15
  let timer: NodeJS.Timeout | undefined
  let inFlight: Promise<void> | undefined
  let changed = false
  let synced = false
  let stopped = false
  let lastError = ''

  const renew = async () => {
    try {
      await options.admin.call('renewProxyLease', {proxyId: options.proxyId, namespaces: namespaces(), ttlSeconds: ttl, endpoint: '', version: options.version})
      if (lastError) options.log('lease renewed')
      lastError = ''
    } catch (err) {
      const message = (err as Error).message
      if (message !== lastError) options.log(`cannot renew the proxy lease: ${message}`)
      lastError = message
    }
  }
  // A failed renewal is tried again soon: two missed periodic ones would let the lease lapse.
  const nextIn = () => (changed ? 0 : lastError ? Math.min(RETRY_MS, (ttl * 1000) / 3) : (ttl * 1000) / 3)
  const schedule = (ms: number) => {
    if (stopped) return
    clearTimeout(timer)
    timer = setTimeout(run, ms)
    timer.unref()
  }
  const run = () => {
    if (stopped) return
    changed = false
    inFlight = renew().finally(() => {
      inFlight = undefined
      schedule(nextIn())
    })
  }
  return {
    renewSoon() {
      synced = true
      if (inFlight) changed = true
      else schedule(SOON_MS)
    },
    async release() {
      stopped = true
      clearTimeout(timer)
      // Bounded: shutdown must not wait out a renewal's deadline while the control plane does not answer.
      await Promise.race([inFlight, new Promise((resolve) => setTimeout(resolve, RELEASE_WAIT_MS).unref())])
      if (!synced) return
      await options.admin.call('releaseProxyLease', {proxyId: options.proxyId}).catch((err: Error) => options.log(`cannot release the proxy lease: ${err.message}`))
    },
  }
}
