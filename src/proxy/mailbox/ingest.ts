/**
 * Fills the mailboxes: for every mailbox pattern in the routing table, one loop per topic of settings.topics
 * consumes the message-source slot and writes what arrives to the mailbox-store slot in batches, acknowledging a
 * batch only once it is stored. Where the source keeps consumer groups, the loops of every proxy share one group
 * per mailbox (so each message is stored by one of them); a new group starts from the earliest message the source
 * still holds. Where it does not (Redis, core NATS), every proxy stores every message and the store's idempotence on
 * message id keeps one copy. Loops start and stop as the table changes; a failure (backend down, reconnect) ends
 * the subscription and the loop subscribes again after a pause. A pruner deletes what is older than
 * settings.retention, every quarter of it (at least every second, at most every minute).
 */
import {PrismError} from '../../errors.js'
import type {BackendPool} from '../backends.js'
import type {DeliveredMessage, MessagingDriver, Subscription} from '../drivers/types.js'
import {scopeGroup, scopeTopic} from '../isolation.js'
import type {RoutingTable} from '../routing.js'
import {eventOf} from './event.js'
import {count} from '../../ui/count.js'
import {pruneEvery} from '../retention.js'
import {mailboxSettings} from './settings.js'
import {mailboxStoreOf, type MailboxEvent, type MailboxKey, type MailboxStore} from './store.js'

export const MAILBOX_TYPE = 'mailbox'
export const SOURCE_SLOT = 'message-source'
export const STORE_SLOT = 'mailbox-store'

const BATCH = 256
/** How long a batch waits for more messages once it has one. */
const LINGER_MS = 10
const ACK_WAIT_SECONDS = 30
const RETRY_MS = [250, 1000, 5000]
const PRUNE_TICK_MS = 1000

/** The group a mailbox's loops share; "." cannot appear in a caller's group name, so no consumer can join it. */
export const mailboxGroup = (box: MailboxKey) => scopeGroup(box.namespace, `mailbox.${box.pattern}`)

interface LoopSpec {
  box: MailboxKey
  topic: string
  source: string
  store: string
  /** The bindings' own credentials in Vault, where they name them. */
  sourceVaultPath?: string
  storeVaultPath?: string
}

interface Loop {
  stop(): Promise<void>
}

interface Pruned {
  box: MailboxKey
  store: string
  storeVaultPath?: string
  retentionMs: number
  due: number
}

export interface IngestOptions {
  pool: Pick<BackendPool, 'get'>
  log: (line: string) => void
  now?: () => number
}

export class MailboxIngest {
  private readonly loops = new Map<string, Loop>()
  private prunes = new Map<string, Pruned>()
  private readonly timer: NodeJS.Timeout
  private closed = false
  private pruning = false

  constructor(private readonly options: IngestOptions) {
    this.timer = setInterval(() => void this.prune(), PRUNE_TICK_MS)
    this.timer.unref()
  }

  /** Starts the loops the table asks for and stops the others. */
  sync(table: RoutingTable): void {
    if (this.closed) return
    const wanted = new Map<string, LoopSpec>()
    const prunes = new Map<string, Pruned>()
    for (const route of table.routes.values()) {
      for (const p of route.patterns) {
        const source = p.slots[SOURCE_SLOT]
        const store = p.slots[STORE_SLOT]
        if (p.type !== MAILBOX_TYPE || !source || !store) continue
        const box = {namespace: route.namespace, pattern: p.name}
        const {topics, retentionMs} = mailboxSettings(p)
        const {[SOURCE_SLOT]: sourceVaultPath, [STORE_SLOT]: storeVaultPath} = p.vaultPaths
        const paths = {...(sourceVaultPath ? {sourceVaultPath} : {}), ...(storeVaultPath ? {storeVaultPath} : {})}
        for (const topic of topics) wanted.set(JSON.stringify([box.namespace, box.pattern, topic, source, store, paths]), {box, topic, source, store, ...paths})
        const key = JSON.stringify([box.namespace, box.pattern, store, storeVaultPath])
        prunes.set(key, {box, store, ...(storeVaultPath ? {storeVaultPath} : {}), retentionMs, due: Math.min(this.prunes.get(key)?.due ?? 0, this.now() + pruneEvery(retentionMs))})
      }
    }
    for (const [key, loop] of this.loops) {
      if (wanted.has(key)) continue
      this.loops.delete(key)
      void loop.stop()
    }
    for (const [key, spec] of wanted) if (!this.loops.has(key)) this.loops.set(key, this.start(spec))
    this.prunes = prunes
  }

  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.timer)
    const loops = [...this.loops.values()]
    this.loops.clear()
    await Promise.all(loops.map((l) => l.stop()))
  }

  private now(): number {
    return (this.options.now ?? Date.now)()
  }

  private async prune(): Promise<void> {
    if (this.pruning) return
    this.pruning = true
    try {
      await this.pruneDue()
    } finally {
      this.pruning = false
    }
  }

  private async pruneDue(): Promise<void> {
    for (const p of this.prunes.values()) {
      if (p.due > this.now()) continue
      p.due = this.now() + pruneEvery(p.retentionMs)
      try {
        const store = await this.storeOf(p.store, p.storeVaultPath)
        const removed = await store.prune(p.box, new Date(this.now() - p.retentionMs))
        if (removed > 0) this.options.log(`mailbox ${label(p.box)}: pruned ${count(removed, 'message')} older than the retention`)
      } catch (err) {
        this.options.log(`mailbox ${label(p.box)}: pruning failed: ${(err as Error).message}`)
      }
    }
  }

  private async storeOf(name: string, vaultPath?: string): Promise<MailboxStore> {
    return mailboxStoreOf(await this.options.pool.get(name, vaultPath), name)
  }

  private start(spec: LoopSpec): Loop {
    const {log} = this.options
    let stopped = false
    let subscription: Subscription | undefined
    let wake: (() => void) | undefined
    let lastError = ''
    const done = (async () => {
      for (let attempt = 0; !stopped; attempt++) {
        try {
          const source = (await this.options.pool.get(spec.source, spec.sourceVaultPath)).messaging
          if (!source) throw new PrismError(`backend ${spec.source} cannot carry messages`, {code: 'FAILED_PRECONDITION'})
          // Before subscribing: a store that cannot take the messages must not claim them from the group.
          await this.storeOf(spec.store, spec.storeVaultPath)
          const group = source.support.groups ? mailboxGroup(spec.box) : undefined
          const topic = scopeTopic(spec.box.namespace, spec.topic)
          subscription = await source.subscribe(topic, {group, start: group ? 'earliest' : 'latest', ackWaitSeconds: ACK_WAIT_SECONDS})
          if (stopped) break
          log(`mailbox ${label(spec.box)}: storing topic ${spec.topic} from ${spec.source} in ${spec.store}${group ? '' : ' (no consumer groups there: every proxy stores every message)'}`)
          lastError = ''
          attempt = 0
          await this.pump(spec, subscription, source, topic, group, () => stopped)
        } catch (err) {
          const message = (err as Error).message
          if (message !== lastError) log(`mailbox ${label(spec.box)}: consuming ${spec.topic} failed, retrying: ${message}`)
          lastError = message
        } finally {
          await subscription?.close().catch(() => undefined)
          subscription = undefined
        }
        if (!stopped) await new Promise<void>((resolve) => ((wake = resolve), setTimeout(resolve, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]).unref()))
      }
    })()
    return {
      async stop() {
        stopped = true
        wake?.()
        await subscription?.close().catch(() => undefined)
        await done
      },
    }
  }

  /** Until the subscription ends: take a batch (what is there within LINGER_MS of its first message), store it, acknowledge it. */
  private async pump(spec: LoopSpec, subscription: Subscription, source: MessagingDriver, topic: string, group: string | undefined, stopped: () => boolean): Promise<void> {
    const it = subscription[Symbol.asyncIterator]()
    let next = it.next()
    const linger = Symbol('linger')
    while (!stopped()) {
      const first = await next
      if (first.done) return
      const batch: DeliveredMessage[] = [first.value]
      next = it.next()
      let timer: NodeJS.Timeout | undefined
      const lingering = new Promise<typeof linger>((resolve) => (timer = setTimeout(() => resolve(linger), LINGER_MS)))
      let ended = false
      while (batch.length < BATCH) {
        const r = await Promise.race([next, lingering])
        if (r === linger) break
        if (r.done) {
          ended = true
          break
        }
        batch.push(r.value)
        next = it.next()
      }
      clearTimeout(timer)
      await this.storeBatch(spec, batch, stopped)
      const tokens = batch.flatMap((m) => (m.ackToken ? [m.ackToken] : []))
      if (group && tokens.length > 0) await source.ack(topic, group, tokens)
      if (ended) return
    }
  }

  /**
   * Retries until stored (or stopped: then the batch stays unacknowledged, for another member or the next start).
   * The store is looked up on every attempt: the pool replaces a backend's connection when its registration changes.
   * What the store refuses for good (INVALID_ARGUMENT, e.g. a NUL that a producer writing to the broker directly
   * put in a header) would block the topic for ever: the batch is stored one event at a time, and each event
   * refused is logged and left out (acknowledged with the rest).
   */
  private async storeBatch(spec: LoopSpec, batch: DeliveredMessage[], stopped: () => boolean): Promise<void> {
    const events = batch.map((m) => eventOf(m, spec.box.namespace))
    if ((await this.storeEvents(spec, events, stopped)) === undefined) return
    for (const event of events) {
      const refused = await this.storeEvents(spec, [event], stopped)
      if (refused !== undefined) this.options.log(`mailbox ${label(spec.box)}: left out message ${event.messageId.slice(0, 200)} of topic ${event.topic}, which ${spec.store} refuses: ${refused}`)
    }
  }

  /** Undefined once stored; the store's reason when it refuses the events for good. */
  private async storeEvents(spec: LoopSpec, events: MailboxEvent[], stopped: () => boolean): Promise<string | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        await (await this.storeOf(spec.store, spec.storeVaultPath)).write(spec.box, events)
        return undefined
      } catch (err) {
        if (err instanceof PrismError && err.code === 'INVALID_ARGUMENT') return err.message
        if (attempt === 0) this.options.log(`mailbox ${label(spec.box)}: storing in ${spec.store} failed, retrying: ${(err as Error).message}`)
        if (stopped()) throw err
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]).unref())
      }
    }
  }
}

const label = (box: MailboxKey) => `${box.namespace}/${box.pattern}`
