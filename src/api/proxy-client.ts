/**
 * The data-plane client the CLI uses: one channel to the context's proxy endpoint, the namespace (and pattern)
 * headers and the bearer on every call, a deadline on unary calls, and failures turned into PrismErrors that say
 * it was the proxy.
 */
import type {MessageInitShape, MessageShape} from '@bufbuild/protobuf'
import type {GenService, GenServiceMethods} from '@bufbuild/protobuf/codegenv2'

import type {ResolvedContext} from '../config/contexts.js'
import {debug} from '../ui/debug.js'
import {openChannel, type BearerLookup} from './channel.js'
import {createServiceClient, type ServiceClient} from './grpc-service.js'
import {toPrismError, withPrismErrors} from './grpc-errors.js'

const DEFAULT_TIMEOUT_MS = 10_000

/** Which namespace (and, when it has several of the family, which pattern) a call is for. */
export interface Routing {
  namespace?: string
  pattern?: string
}

type UnaryName<T extends GenServiceMethods> = {[K in keyof T]: T[K]['methodKind'] extends 'unary' ? K : never}[keyof T]
type StreamName<T extends GenServiceMethods> = {[K in keyof T]: T[K]['methodKind'] extends 'server_streaming' ? K : never}[keyof T]

export interface ProxyClient {
  readonly endpoint: string
  call<T extends GenServiceMethods, K extends UnaryName<T>>(service: GenService<T>, method: K, request: MessageInitShape<T[K]['input']>, routing?: Routing): Promise<MessageShape<T[K]['output']>>
  /** A server stream without deadline; cancel() ends it quietly. */
  stream<T extends GenServiceMethods, K extends StreamName<T>>(service: GenService<T>, method: K, request: MessageInitShape<T[K]['input']>, routing?: Routing): AsyncIterable<MessageShape<T[K]['output']>> & {cancel(): void}
  close(): void
}

function routingHeaders(routing: Routing = {}): Record<string, string> {
  const headers: Record<string, string> = {}
  if (routing.namespace) headers['x-prism-namespace'] = routing.namespace
  if (routing.pattern) headers['x-prism-pattern'] = routing.pattern
  return headers
}

export async function connectProxy(ctx: ResolvedContext, options: {timeoutMs?: number; bearer?: BearerLookup} = {}): Promise<ProxyClient> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const channel = await openChannel(ctx, ctx.proxyEndpoint, options.bearer)
  const clients = new Map<string, ServiceClient<GenServiceMethods>>()
  const client = <T extends GenServiceMethods>(service: GenService<T>) => {
    let c = clients.get(service.typeName)
    if (!c) {
      c = createServiceClient(channel.grpc, service, {endpoint: ctx.proxyEndpoint, credentials: channel.credentials, defaultTimeoutMs: timeoutMs, metadata: channel.metadata}) as unknown as ServiceClient<GenServiceMethods>
      clients.set(service.typeName, c)
    }
    return c as unknown as Record<string, (request: unknown, options?: {metadata?: Record<string, string>}) => unknown>
  }
  const subject = (routing?: Routing) => ({endpoint: ctx.proxyEndpoint, context: ctx.name, peer: 'proxy' as const, kind: 'Namespace' as const, name: routing?.namespace, timeoutMs, tls: ctx.tls})
  debug(`proxy ${ctx.proxyEndpoint} (context "${ctx.name}", ${ctx.tls ? 'TLS' : 'plaintext'}, deadline ${timeoutMs} ms)`)

  return {
    endpoint: ctx.proxyEndpoint,
    async call(service, method, request, routing) {
      const started = Date.now()
      try {
        const response = await (client(service)[method as string]!(request, {metadata: routingHeaders(routing)}) as Promise<never>)
        debug(`${service.name}.${String(method)} OK in ${Date.now() - started} ms`)
        return response
      } catch (err) {
        debug(`${service.name}.${String(method)} failed in ${Date.now() - started} ms: ${(err as Error).message}`)
        throw toPrismError(err, subject(routing))
      }
    },
    stream(service, method, request, routing) {
      return withPrismErrors(client(service)[method as string]!(request, {metadata: routingHeaders(routing)}) as AsyncIterable<never> & {cancel(): void}, subject(routing))
    },
    close() {
      for (const c of clients.values()) c.close()
      channel.release()
    },
  }
}
