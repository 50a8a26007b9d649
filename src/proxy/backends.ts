/**
 * Connections to backends, one per registered backend, shared by every namespace that binds it. A backend is
 * connected when the routing table first binds it (so /readyz can tell whether it answers), replaced when its
 * registration changes, and closed when nothing binds it any more or it is deleted.
 */
import type {Backend} from '../gen/prism/admin/v1/resources_pb.js'
import {PrismError} from '../errors.js'
import type {CredentialResolver} from './credentials.js'
import {driverFor} from './drivers/index.js'
import type {BackendConnection} from './drivers/types.js'
import {backendFingerprint, connectionKey, RoutingTable} from './routing.js'

export type ConnectionState = 'connecting' | 'connected' | 'down'

export interface BackendStatus {
  name: string
  /** Set for a connection with a binding's own credentials (a backend can have several connections then). */
  vaultPath?: string
  type: number
  state: ConnectionState
  error?: string
}

interface Entry {
  backend: Backend
  vaultPath?: string
  fingerprint: string
  connection: Promise<BackendConnection>
  state: ConnectionState
  error?: string
}

export class BackendPool {
  private readonly entries = new Map<string, Entry>()
  /** Bound connections whose set-up failed (credentials, driver), by key: down, with the error, until set up again. */
  private readonly failures = new Map<string, Entry>()
  private table = RoutingTable.empty()

  constructor(
    private readonly log: (line: string) => void,
    private readonly resolveCredentials: CredentialResolver = async (backend) => backend,
  ) {}

  /** Brings the connections in line with a new routing table. */
  sync(table: RoutingTable): void {
    this.table = table
    const bound = table.boundConnections()
    for (const [key, failure] of this.failures) if (!bound.has(key) || table.backends.get(failure.backend.name) === undefined) this.failures.delete(key)
    for (const [key, entry] of this.entries) {
      const backend = table.backends.get(entry.backend.name)
      if (!backend || !bound.has(key) || backendFingerprint(backend) !== entry.fingerprint) {
        this.entries.delete(key)
        this.log(`backend ${entry.backend.name}: ${backend && bound.has(key) ? 'registration changed, reconnecting' : 'no longer used, disconnecting'}`)
        void entry.connection.then((c) => c.close()).catch(() => {})
      }
    }
    for (const [key, c] of bound) {
      const backend = table.backends.get(c.backend)
      if (backend && !this.entries.has(key)) this.open(backend, c.vaultPath)
    }
  }

  /**
   * The connection of a bound backend (with a binding's own credentials: `vaultPath`); UNAVAILABLE when its
   * registration has not reached this proxy.
   */
  async get(name: string, vaultPath?: string): Promise<BackendConnection> {
    const backend = this.table.backends.get(name)
    const key = connectionKey(name, vaultPath)
    // A connection whose set-up failed is dropped, and set up again by the next call that needs it.
    const entry = this.entries.get(key) ?? (backend && this.table.boundConnections().has(key) ? this.open(backend, vaultPath) : undefined)
    if (!entry) {
      throw new PrismError(`backend ${name} is not known to this proxy`, {code: 'UNAVAILABLE', hint: 'Register it (prismctl backend register) or check the binding; the proxy learns backends from the control plane.'})
    }
    return entry.connection
  }

  /**
   * Every connection's state, after asking each backend to answer (for /readyz and ProxyInfo). A connection that
   * could not be set up is tried again first, so that readiness follows the backend (or its credentials) back.
   */
  async check(): Promise<BackendStatus[]> {
    // A failure is never also an entry, and its backend is the table's: sync() drops or reopens it on a change.
    for (const failure of [...this.failures.values()]) this.open(failure.backend, failure.vaultPath)
    return Promise.all(
      [...this.entries.values()].map(async (entry) => {
        try {
          await (await entry.connection).ping()
          entry.state = 'connected'
          entry.error = undefined
        } catch (err) {
          entry.state = 'down'
          entry.error = (err as Error).message
        }
        return statusOf(entry)
      }),
    )
  }

  async close(): Promise<void> {
    const all = [...this.entries.values()]
    this.entries.clear()
    this.failures.clear()
    await Promise.all(all.map((e) => e.connection.then((c) => c.close()).catch(() => {})))
  }

  private open(backend: Backend, vaultPath?: string): Entry {
    const key = connectionKey(backend.name, vaultPath)
    const entry: Entry = {backend, ...(vaultPath ? {vaultPath} : {}), fingerprint: backendFingerprint(backend), state: 'connecting', connection: undefined as never}
    entry.connection = this.resolveCredentials(backend, vaultPath).then(async (resolved) => (await driverFor(resolved))(resolved, {log: this.log}))
    this.failures.delete(key)
    entry.connection.then(
      () => {
        if (entry.state === 'connecting') entry.state = 'connected'
      },
      (err: Error) => {
        entry.state = 'down'
        entry.error = err.message
        // Drivers and the credential resolver name the backend in their messages.
        this.log(err.message)
        // A connection that could not even be set up is retried on the next sync, call or check; until then it is down.
        if (this.entries.get(key) === entry) {
          this.entries.delete(key)
          this.failures.set(key, entry)
        }
      },
    )
    this.entries.set(key, entry)
    return entry
  }
}

function statusOf(entry: Entry): BackendStatus {
  return {name: entry.backend.name, ...(entry.vaultPath ? {vaultPath: entry.vaultPath} : {}), type: entry.backend.type, state: entry.state, error: entry.error}
}
