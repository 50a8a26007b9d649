/**
 * The control plane client the CLI uses: one channel to the context's admin endpoint, a deadline on every call,
 * the bearer token as per-call metadata, and every failure turned into a PrismError naming the resource involved.
 * grpc-js is imported lazily (src/api/channel.ts), so commands that never talk to the control plane do not pay for it.
 */
import type {ResolvedContext} from '../config/contexts.js'
import {ControlPlane, type WatchEvent} from '../gen/prism/admin/v1/control_plane_pb.js'
import {debug} from '../ui/debug.js'
import {openChannel, type BearerLookup} from './channel.js'
import {createServiceClient, type CallOptions, type ServiceClient} from './grpc-service.js'
import {toPrismError, withPrismErrors, type CallSubject} from './grpc-errors.js'

const DEFAULT_TIMEOUT_MS = 10_000

type Methods = typeof ControlPlane.method
type RawClient = ServiceClient<Methods>
type UnaryName = {[K in keyof Methods]: Methods[K]['methodKind'] extends 'unary' ? K : never}[keyof Methods]

export interface AdminConnectOptions {
  /** Deadline per call; DEFAULT_TIMEOUT_MS when absent. */
  timeoutMs?: number
  bearer?: BearerLookup
}

export interface AdminClient {
  readonly endpoint: string
  /** Calls a unary method; a failure is a PrismError that names `subject` (the namespace or backend involved). */
  call<K extends UnaryName>(
    method: K,
    request: Parameters<RawClient[K]>[0],
    subject?: Pick<CallSubject, 'kind' | 'name'>,
  ): Promise<Awaited<ReturnType<RawClient[K]>>>
  /** Follows the control plane (proxies): no deadline; a failure is a PrismError; cancel() ends it quietly. */
  watch(request: Parameters<RawClient['watch']>[0]): AsyncIterable<WatchEvent> & {cancel(): void}
  /**
   * A fresh channel for the next calls: it connects at once, where the old one waits out grpc-js's reconnect
   * backoff (up to a second). For a proxy whose control plane is starting beside it.
   */
  reconnect(): void
  close(): void
}

export async function connectAdmin(ctx: ResolvedContext, options: AdminConnectOptions = {}): Promise<AdminClient> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const channel = await openChannel(ctx, ctx.adminEndpoint, options.bearer)
  const client = () =>
    createServiceClient(channel.grpc, ControlPlane, {
      endpoint: ctx.adminEndpoint,
      credentials: channel.credentials,
      defaultTimeoutMs: timeoutMs,
      metadata: channel.metadata,
    })
  let raw = client()
  debug(`control plane ${ctx.adminEndpoint} (context "${ctx.name}", ${ctx.tls ? 'TLS' : 'plaintext'}, deadline ${timeoutMs} ms)`)

  return {
    endpoint: ctx.adminEndpoint,
    async call(method, request, subject = {}) {
      const started = Date.now()
      const invoke = raw[method] as (request: unknown, options?: CallOptions) => Promise<never>
      try {
        const response = await invoke(request)
        debug(`${method} OK in ${Date.now() - started} ms`)
        return response
      } catch (err) {
        debug(`${method} failed in ${Date.now() - started} ms: ${(err as Error).message}`)
        throw toPrismError(err, {...subject, endpoint: ctx.adminEndpoint, context: ctx.name, timeoutMs, tls: ctx.tls})
      }
    },
    watch(request) {
      return withPrismErrors(raw.watch(request), {endpoint: ctx.adminEndpoint, context: ctx.name, tls: ctx.tls})
    },
    reconnect() {
      raw.close()
      raw = client()
    },
    close() {
      raw.close()
      channel.release()
    },
  }
}
