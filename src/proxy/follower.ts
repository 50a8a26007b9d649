/**
 * Follows the control plane: Watch gives every namespace and backend, then SYNCED, then changes. Each stream builds
 * its own view, and only a view that reached SYNCED replaces the routing table, so after a reconnect the table
 * jumps from the old state to the new one (deletes made meanwhile included) without an empty moment in between.
 * While the control plane is away the last table keeps serving, and the follower reconnects with backoff.
 */
import {WatchEventType} from '../gen/prism/admin/v1/control_plane_pb.js'
import type {WatchEvent} from '../gen/prism/admin/v1/control_plane_pb.js'
import type {Backend, Namespace} from '../gen/prism/admin/v1/resources_pb.js'
import type {AdminClient} from '../api/admin-client.js'
import {RoutingTable} from './routing.js'

export type SyncState = 'connecting' | 'synced' | 'disconnected'

export interface FollowerOptions {
  admin: AdminClient
  proxyId: string
  onTable: (table: RoutingTable) => void
  onState?: (state: SyncState) => void
  log: (line: string) => void
  /** Backoff bounds between reconnects, ms. */
  minBackoffMs?: number
  maxBackoffMs?: number
}

export class ControlPlaneFollower {
  state: SyncState = 'connecting'
  lastSyncedAt?: Date
  private stopped = false
  private stream?: {cancel(): void}
  private wakeSleep?: () => void
  private readonly done: Promise<void>

  constructor(private readonly options: FollowerOptions) {
    this.done = this.loop()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.stream?.cancel()
    this.wakeSleep?.()
    await this.done
  }

  private setState(state: SyncState): void {
    if (state === this.state) return
    this.state = state
    this.options.onState?.(state)
  }

  private async loop(): Promise<void> {
    const min = this.options.minBackoffMs ?? 200
    const max = this.options.maxBackoffMs ?? 1000
    let backoff = min
    // The same failure is logged once per 10 s: retries may come every `min` ms (below).
    let logged = {line: '', at: 0}
    const startedAt = Date.now()
    while (!this.stopped) {
      // A control plane out of reach in the first minute, before any sync, is usually one starting beside this
      // proxy (dev up): retried every `min` ms on a fresh channel, which connects at once where grpc-js would wait
      // out its reconnect backoff. Anything else backs off as usual.
      let starting = false
      try {
        const synced = await this.follow()
        if (synced) backoff = min
        if (!this.stopped) this.options.log('control plane watch ended; reconnecting')
        logged = {line: '', at: 0}
      } catch (err) {
        if (this.stopped) break
        const line = `control plane watch failed: ${(err as Error).message}`
        if (line !== logged.line || Date.now() - logged.at >= 10_000) {
          this.options.log(`${line}; retrying`)
          logged = {line, at: Date.now()}
        }
        starting = !this.lastSyncedAt && (err as {code?: string}).code === 'UNAVAILABLE' && Date.now() - startedAt < 60_000
        if (starting) this.options.admin.reconnect()
      }
      if (this.stopped) break
      if (this.state === 'synced') this.setState('disconnected')
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoff)
        this.wakeSleep = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      if (!starting) backoff = Math.min(backoff * 2, max)
    }
  }

  /** One Watch stream; resolves when it ends, true if it reached SYNCED. */
  private async follow(): Promise<boolean> {
    const namespaces = new Map<string, Namespace>()
    const backends = new Map<string, Backend>()
    let synced = false
    let pending = false
    const publish = () => {
      pending = false
      this.options.onTable(RoutingTable.from(namespaces.values(), backends.values()))
    }
    const stream = this.options.admin.watch({proxyId: this.options.proxyId})
    this.stream = stream
    for await (const event of stream as AsyncIterable<WatchEvent>) {
      if (event.type === WatchEventType.SYNCED) {
        synced = true
        publish()
        this.lastSyncedAt = new Date()
        this.setState('synced')
        continue
      }
      const resource = event.resource
      if (resource.case === 'namespace') {
        if (event.type === WatchEventType.DELETE) namespaces.delete(resource.value.name)
        else namespaces.set(resource.value.name, resource.value)
      } else if (resource.case === 'backend') {
        if (event.type === WatchEventType.DELETE) backends.delete(resource.value.name)
        else backends.set(resource.value.name, resource.value)
      }
      // After SYNCED, a burst of changes becomes one new table.
      if (synced && !pending) {
        pending = true
        setImmediate(publish)
      }
    }
    return synced
  }
}
