/**
 * Sessions of session-aware patterns, kept in each namespace's session-store backend so that every proxy serving
 * the namespace shares them: admitted on every call (started, refreshed, or refused when killed), listed, ended by
 * kill and logout, and swept when they expire. Which proxy announces an end: the one whose delete removed the record.
 */
import type {Principal} from '../../controlplane/authn.js'
import {PrismError} from '../../errors.js'
import type {Route, RoutingTable} from '../routing.js'
import {hasSessionManager, sessionManagerOf, type SessionManagerConfig} from './config.js'
import {eventPublisher, sessionEvent, type Connections} from './events.js'
import {bearerOf, expiryOf, sessionId, type EndMarker, type SessionRecord} from './records.js'
import {SessionStore} from './store.js'

export interface SessionManagerOptions {
  connections: Connections
  table: () => RoutingTable
  log: (line: string) => void
  now?: () => number
}

/** How often a proxy's sweeper wakes; each namespace is swept every half idle timeout (between these bounds). */
const TICK_MS = 250
const MAX_SWEEP_MS = 30_000
interface Settled<T> {
  values: T[]
  failures: {namespace: string; error: unknown}[]
}

/** Each namespace's part (one per route), all of them run whatever one of them does. */
async function settle<T>(routes: Route[], part: (route: Route) => Promise<T>): Promise<Settled<T>> {
  const outcomes = await Promise.allSettled(routes.map(part))
  const values: T[] = []
  const failures: Settled<T>['failures'] = []
  outcomes.forEach((o, i) => (o.status === 'fulfilled' ? values.push(o.value) : failures.push({namespace: routes[i]!.namespace, error: o.reason})))
  return {values, failures}
}

/**
 * One namespace's failure is not another's: what failed is named once the rest is done. A request for one
 * namespace gets its error as it was.
 */
function failedNamespaces(routes: Route[], failures: Settled<unknown>['failures'], doing: string): unknown {
  if (routes.length === 1) return failures[0]!.error
  const codes = new Set(failures.map((f) => (f.error instanceof PrismError ? f.error.code : 'UNAVAILABLE')))
  return new PrismError(`${doing}: the session store of ${failures.length === 1 ? `namespace ${failures[0]!.namespace}` : `${failures.length} namespaces`} failed`, {
    code: codes.size === 1 ? [...codes][0]! : 'UNAVAILABLE',
    details: failures.map((f) => `namespace ${f.namespace}: ${(f.error as Error).message}`),
    hint: 'The other namespaces were done. Try again, or name one with --namespace.',
  })
}

async function eachNamespace<T>(routes: Route[], doing: string, part: (route: Route) => Promise<T>): Promise<T[]> {
  const {values, failures} = await settle(routes, part)
  if (failures.length > 0) throw failedNamespaces(routes, failures, doing)
  return values
}

/** Last seen is written at most this often per session (a quarter of the idle timeout), so reads stay reads. */
const MAX_REFRESH_MS = 30_000

const sweepEvery = (c: SessionManagerConfig) => (c.idleMs ? Math.min(Math.max(c.idleMs / 2, TICK_MS), MAX_SWEEP_MS) : MAX_SWEEP_MS)
const refreshEvery = (c: SessionManagerConfig) => (c.idleMs ? Math.min(c.idleMs / 4, MAX_REFRESH_MS) : MAX_REFRESH_MS)

export interface FoundSession {
  record: SessionRecord
  store: SessionStore
  config: SessionManagerConfig
}

function ended(namespace: string, marker: EndMarker): PrismError {
  const how = marker.reason === 'killed' ? `was killed by ${marker.by}` : 'ended when you logged out'
  return new PrismError(`unauthenticated: your session in namespace ${namespace} ${how} (${new Date(marker.at).toISOString()}); this token is no longer accepted`, {
    code: 'UNAUTHENTICATED',
    hint: 'Log in again: prismctl login',
  })
}

function usable(route: Route): boolean {
  try {
    sessionManagerOf(route)
    return true
  } catch {
    return false
  }
}

export class SessionManager {
  private readonly now: () => number
  private readonly publish: ReturnType<typeof eventPublisher>
  private readonly touching = new Set<string>()
  private readonly nextSweep = new Map<string, number>()
  private readonly sweeping = new Set<string>()
  private timer: NodeJS.Timeout | undefined
  private lastSweepError = ''

  constructor(private readonly options: SessionManagerOptions) {
    this.now = options.now ?? Date.now
    this.publish = eventPublisher(options.connections, options.log)
  }

  /**
   * Admits a call of an authenticated caller to a session-aware pattern of `route`: starts the caller's session,
   * or refreshes it; UNAUTHENTICATED when it was killed or logged out.
   */
  async admit(route: Route, principal: Principal, authorization: string): Promise<void> {
    const config = sessionManagerOf(route)
    const store = await this.store(config)
    const id = sessionId(route.namespace, bearerOf(authorization))
    const {record, ended: marker} = await store.read(id)
    if (marker) throw ended(route.namespace, marker)
    const now = this.now()
    if (record && record.expiresAt > now) {
      if (now - record.lastSeenAt >= refreshEvery(config)) this.touch(store, config, record, now)
      return
    }
    if (record) await this.expire(store, config, record, now)
    const tokenExpiresAt = principal.expiresAt ?? now
    const expiresAt = expiryOf(now, tokenExpiresAt, config.idleMs)
    if (expiresAt <= now) throw new PrismError('unauthenticated: the token has expired', {code: 'UNAUTHENTICATED', hint: 'Run any prismctl command to refresh it, or log in again: prismctl login'})
    const fresh: SessionRecord = {
      id,
      namespace: route.namespace,
      principal: principal.name,
      subject: principal.subject,
      ...(principal.email ? {email: principal.email} : {}),
      groups: [...principal.groups],
      startedAt: now,
      lastSeenAt: now,
      expiresAt,
      tokenExpiresAt,
    }
    await store.save(fresh, now)
    await this.publish(config, sessionEvent('session.started', fresh, now))
  }

  /** Live sessions of one namespace (or of all this proxy serves with a session manager), oldest first. */
  async list(namespace?: string): Promise<SessionRecord[]> {
    const now = this.now()
    const lists = await eachNamespace(
      this.routes(namespace),
      'listing sessions',
      async (route) => {
        const store = await this.store(sessionManagerOf(route))
        if (!store.canList) return []
        const live: SessionRecord[] = []
        for await (const record of store.all()) if (record.expiresAt > now) live.push(record)
        // A record written again after its session ended (a last-seen write racing the end) is not live.
        const ended = await store.endedAmong(live.map((r) => r.id))
        return live.filter((r) => !ended.has(r.id))
      },
    )
    return lists.flat().sort((a, b) => a.startedAt - b.startedAt || a.id.localeCompare(b.id))
  }

  /** A live session by id; NOT_FOUND when no namespace (of those asked) holds it. */
  async find(id: string, namespace?: string): Promise<FoundSession> {
    const now = this.now()
    const routes = this.routes(namespace)
    const found = await settle(routes, async (route) => {
      const config = sessionManagerOf(route)
      const store = await this.store(config)
      const {record, ended: marker} = await store.read(id)
      return record && !marker && record.expiresAt > now ? {record, store, config} : undefined
    })
    // Found where a store answered, whichever others did not; not found only when every one answered.
    const hit = found.values.find((f) => f !== undefined)
    if (!hit && found.failures.length > 0) throw failedNamespaces(routes, found.failures, `looking for session ${id}`)
    if (!hit) {
      throw new PrismError(`session ${id} not found${namespace ? ` in namespace ${namespace}` : ''} (it may have expired or ended)`, {code: 'NOT_FOUND', hint: 'List the live sessions with: prismctl session list'})
    }
    return hit
  }

  /** Marks a session as used now. */
  async refresh(found: FoundSession): Promise<SessionRecord> {
    const now = this.now()
    const record = this.refreshed(found.config, found.record, now)
    await found.store.save(record, now)
    return record
  }

  /** Ends a session: its token is refused by every proxy from now on; `session.ended` is published once. */
  async end(found: FoundSession, reason: EndMarker['reason'], by: string): Promise<void> {
    const now = this.now()
    // The marker first: a call arriving between the two writes is refused, never admitted into a new session.
    await found.store.markEnded(found.record.id, {reason, at: now, by}, found.record.tokenExpiresAt, now)
    if (await found.store.remove(found.record.id)) await this.publish(found.config, sessionEvent('session.ended', found.record, now, reason))
  }

  /**
   * The caller's own token logs out of every namespace (or `namespace`): its sessions end (reason logged_out) and
   * the token is refused by session-aware patterns from now on, also where it had no session yet.
   */
  async logout(principal: Principal, authorization: string, namespace?: string): Promise<SessionRecord[]> {
    const token = bearerOf(authorization)
    const now = this.now()
    // Every namespace whose store answers is logged out, whichever others did not; those are named after.
    const endedSessions = await eachNamespace(
      this.routes(namespace),
      'logging out',
      async (route) => {
        const config = sessionManagerOf(route)
        const store = await this.store(config)
        const id = sessionId(route.namespace, token)
        const {record} = await store.read(id)
        await store.markEnded(id, {reason: 'logged_out', at: now, by: principal.name}, record?.tokenExpiresAt ?? principal.expiresAt ?? now, now)
        if (!record || !(await store.remove(id))) return undefined
        // A record past its expiry that no sweeper has reached yet had already ended, by expiry.
        const live = record.expiresAt > now
        await this.publish(config, sessionEvent('session.ended', record, now, live ? 'logged_out' : 'expired'))
        return live ? record : undefined
      },
    )
    return endedSessions.filter((r): r is SessionRecord => r !== undefined)
  }

  /** Starts the sweeper: expired sessions are removed and announced (once, by whichever proxy removes each). */
  start(): void {
    if (this.timer) return
    this.timer = setInterval(() => void this.sweepDue(), TICK_MS)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  /** Sweeps one namespace now (the timer calls this when it is due). */
  async sweep(route: Route): Promise<number> {
    const config = sessionManagerOf(route)
    const store = await this.store(config)
    if (!store.canList) return 0
    const now = this.now()
    let removed = 0
    for await (const record of store.all()) {
      if (record.expiresAt <= now && (await this.expire(store, config, record, now))) removed++
    }
    return removed
  }

  private async sweepDue(): Promise<void> {
    const now = this.now()
    for (const route of this.options.table().routes.values()) {
      if (!hasSessionManager(route) || !usable(route) || this.sweeping.has(route.namespace)) continue
      const config = sessionManagerOf(route)
      const due = this.nextSweep.get(route.namespace)
      if (due === undefined) {
        this.nextSweep.set(route.namespace, now + sweepEvery(config))
        continue
      }
      if (due > now) continue
      this.nextSweep.set(route.namespace, now + sweepEvery(config))
      this.sweeping.add(route.namespace)
      void this.sweep(route)
        .then(() => (this.lastSweepError = ''))
        .catch((err: Error) => {
          const message = `sessions of namespace ${route.namespace}: cannot sweep: ${err.message}`
          if (message !== this.lastSweepError) this.options.log(message)
          this.lastSweepError = message
        })
        .finally(() => this.sweeping.delete(route.namespace))
    }
  }

  /** Removes an expired record; the remover announces it. Whether this call removed it. */
  private async expire(store: SessionStore, config: SessionManagerConfig, record: SessionRecord, now: number): Promise<boolean> {
    const ended = (await store.endedAmong([record.id])).has(record.id)
    if (!(await store.remove(record.id))) return false
    // Written again after it was killed or logged out: its end was announced then, not a second time now.
    if (ended) return false
    await this.publish(config, sessionEvent('session.ended', record, now, 'expired'))
    return true
  }

  private refreshed(config: SessionManagerConfig, record: SessionRecord, now: number): SessionRecord {
    return {...record, lastSeenAt: now, expiresAt: expiryOf(now, record.tokenExpiresAt, config.idleMs)}
  }

  /** Writes last seen without holding up the call; one write per session at a time. */
  private touch(store: SessionStore, config: SessionManagerConfig, record: SessionRecord, now: number): void {
    const key = `${record.namespace}/${record.id}`
    if (this.touching.has(key)) return
    this.touching.add(key)
    store
      .save(this.refreshed(config, record, now), now)
      .catch((err: Error) => this.options.log(`sessions of namespace ${record.namespace}: cannot refresh a session: ${err.message}`))
      .finally(() => this.touching.delete(key))
  }

  private routes(namespace?: string): Route[] {
    const routes = this.options.table().routes
    // Across namespaces, one whose session manager cannot keep sessions (its calls say why) holds none to show.
    if (namespace === undefined || namespace === '') return [...routes.values()].filter((r) => hasSessionManager(r) && usable(r))
    const route = routes.get(namespace)
    if (!route) throw new PrismError(`namespace ${namespace} does not exist (this proxy does not serve it)`, {code: 'NOT_FOUND', hint: 'List the namespaces with: prismctl namespace list'})
    sessionManagerOf(route)
    return [route]
  }

  private async store(config: SessionManagerConfig): Promise<SessionStore> {
    const kv = (await this.options.connections(config.storeBackend, config.storeVaultPath)).keyValue
    if (!kv) {
      throw new PrismError(`backend ${config.storeBackend} cannot hold sessions (session-store of namespace ${config.namespace})`, {
        code: 'FAILED_PRECONDITION',
        hint: 'Bind the session-store slot to a keyvalue backend with TTL (redis, memstore, postgres).',
      })
    }
    return new SessionStore(config.namespace, kv)
  }
}
