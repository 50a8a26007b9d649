/**
 * One Watch call: subscribe first, send the snapshot, SYNCED, then the changes that arrived meanwhile and the live
 * ones, so nothing that happens during the snapshot is missed (a change may arrive twice; UPSERTs are idempotent).
 *
 * Backpressure: events are handed to gRPC only while it keeps up (write() said so, and what was handed over but not
 * yet sent stays under a window); the rest waits in this watcher's queue. The snapshot waits for room, so a slow
 * reader only slows its own snapshot. Live changes cannot wait: when what one watcher holds (queued plus handed
 * over) would pass its bound, the watcher is dropped, its queue freed, and the call ends with RESOURCE_EXHAUSTED so
 * the client reconnects and resynchronises from a fresh snapshot.
 */
import type * as grpc from '@grpc/grpc-js'

import {PrismError} from '../errors.js'
import {SYNCED, type Change, type EncodedEvent} from './changes.js'
import type {ControlPlaneService} from './service.js'

export interface WatchLimits {
  /** What one watcher may hold (events queued for it plus those handed to gRPC and not yet sent), in bytes… */
  maxBufferedBytes: number
  /** …and in events. */
  maxBufferedEvents: number
  /** How many bytes are handed to gRPC before waiting for them to be sent. */
  writeWindowBytes: number
}

export const DEFAULT_WATCH_LIMITS: WatchLimits = {maxBufferedBytes: 8 * 1024 * 1024, maxBufferedEvents: 10_000, writeWindowBytes: 1024 * 1024}

export interface WatchOptions {
  /** Static credentials in clear (the proxy role). */
  clear: boolean
  limits: WatchLimits
  /** Who is watching, for the log line when the watcher is dropped. */
  who: string
  log: (line: string) => void
}

const mib = (bytes: number) => `${+(bytes / 1024 / 1024).toFixed(1)} MiB`

/** Resolves when the watch ends normally (client gone, server stopping); rejects with the status to end it with. */
export async function streamWatch(service: ControlPlaneService, call: grpc.ServerWritableStream<unknown, unknown>, options: WatchOptions): Promise<void> {
  const sender = new WatchSender(call, options.limits)
  const onChange = (change: Change) => {
    const dropped = sender.push(change.event(options.clear))
    if (dropped) options.log(`watch by ${options.who} fell behind (${dropped}); closed it`)
  }
  const onResync = (reason: string) =>
    sender.fail(new PrismError(`the control plane lost its change feed (${reason}); reconnect to resynchronise`, {code: 'UNAVAILABLE', hint: 'Watch again: a new watch starts with a full snapshot.'}))
  const onClose = () => sender.finish()
  service.events.on('change', onChange)
  service.events.on('resync', onResync)
  service.events.once('close', onClose)
  call.once('cancelled', onClose)
  try {
    service.requireChangeFeed()
    for await (const change of service.snapshot()) {
      if (!(await sender.sendWhenRoom(change.event(options.clear)))) break
    }
    await sender.sendWhenRoom(SYNCED)
    sender.release()
    await sender.ended
  } finally {
    service.events.off('change', onChange)
    service.events.off('resync', onResync)
    service.events.off('close', onClose)
    call.off('cancelled', onClose)
    sender.finish()
  }
}

/** One watcher's queue in front of its gRPC stream. */
class WatchSender {
  readonly ended: Promise<void>
  /** Sendable now, in order. */
  private readonly queue: EncodedEvent[] = []
  /** Live changes that arrived during the snapshot; released after SYNCED. */
  private deferred: EncodedEvent[] | undefined = []
  private heldBytes = 0
  private heldEvents = 0
  private inFlightBytes = 0
  private waitingForDrain = false
  private done = false
  private settle!: {resolve: () => void; reject: (err: unknown) => void}
  private wakeSnapshot: (() => void) | undefined

  constructor(
    private readonly call: grpc.ServerWritableStream<unknown, unknown>,
    private readonly limits: WatchLimits,
  ) {
    this.ended = new Promise<void>((resolve, reject) => (this.settle = {resolve, reject}))
    // Nobody may be awaiting `ended` when the watch fails during its snapshot; the rejection is handled there.
    this.ended.catch(() => {})
  }

  /** A live change. Returns why the watcher was dropped when it would hold too much; undefined otherwise. */
  push(event: EncodedEvent): string | undefined {
    if (this.done) return undefined
    const bytes = this.heldBytes + event.bytes
    const events = this.heldEvents + 1
    if (bytes > this.limits.maxBufferedBytes || events > this.limits.maxBufferedEvents) {
      const {maxBufferedBytes, maxBufferedEvents} = this.limits
      const held = `holding ${this.heldBytes} bytes in ${this.heldEvents} events, bound ${maxBufferedBytes} bytes or ${maxBufferedEvents} events`
      this.fail(
        new PrismError(`watch fell behind (more than ${mib(maxBufferedBytes)} or ${maxBufferedEvents} events waiting for it); reconnect to resynchronise`, {
          code: 'RESOURCE_EXHAUSTED',
          hint: 'Read the stream faster, or watch again: a new watch starts with a full snapshot.',
        }),
      )
      return held
    }
    this.hold(event)
    if (this.deferred) this.deferred.push(event)
    else this.enqueue(event)
    return undefined
  }

  /** A snapshot event: waits until gRPC has room. False when the watch ended meanwhile. */
  async sendWhenRoom(event: EncodedEvent): Promise<boolean> {
    while (!this.done && (this.queue.length > 0 || this.waitingForDrain || this.inFlightBytes >= this.limits.writeWindowBytes)) {
      await new Promise<void>((resolve) => (this.wakeSnapshot = resolve))
    }
    if (this.done) return false
    this.hold(event)
    this.enqueue(event)
    return true
  }

  /** The snapshot is out: what arrived meanwhile follows it. */
  release(): void {
    const deferred = this.deferred ?? []
    this.deferred = undefined
    for (const event of deferred) this.enqueue(event)
  }

  /** Ends the watch with an error status, dropping what it holds. */
  fail(err: PrismError): void {
    if (this.done) return
    this.stop()
    this.settle.reject(err)
  }

  /** Ends the watch normally. */
  finish(): void {
    if (this.done) return
    this.stop()
    this.settle.resolve()
  }

  private stop(): void {
    this.done = true
    this.queue.length = 0
    this.deferred = undefined
    this.wakeSnapshot?.()
  }

  private hold(event: EncodedEvent): void {
    this.heldBytes += event.bytes
    this.heldEvents += 1
  }

  private enqueue(event: EncodedEvent): void {
    this.queue.push(event)
    this.pump()
  }

  /** Hands queued events to gRPC while it keeps up. */
  private pump(): void {
    while (!this.done && this.queue.length > 0 && !this.waitingForDrain && this.inFlightBytes < this.limits.writeWindowBytes) {
      const event = this.queue.shift()!
      this.inFlightBytes += event.bytes
      // Called once gRPC has passed the message to the HTTP/2 stream, which only takes what the peer's flow-control window allows.
      const more = this.call.write(event.event, () => {
        this.inFlightBytes -= event.bytes
        this.heldBytes -= event.bytes
        this.heldEvents -= 1
        this.pump()
      })
      if (!more) {
        this.waitingForDrain = true
        this.call.once('drain', () => {
          this.waitingForDrain = false
          this.pump()
        })
      }
    }
    if (this.queue.length === 0 && !this.waitingForDrain && this.inFlightBytes < this.limits.writeWindowBytes) {
      const wake = this.wakeSnapshot
      this.wakeSnapshot = undefined
      wake?.()
    }
  }
}
