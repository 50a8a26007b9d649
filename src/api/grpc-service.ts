/**
 * Bridges protobuf-es service descriptors and @grpc/grpc-js: grpc-js wants a ServiceDefinition with serializers,
 * protobuf-es gives descriptors and toBinary/fromBinary. Used by both the clients and the servers.
 */
import {create, fromBinary, toBinary} from '@bufbuild/protobuf'
import type {DescMethod, DescService, MessageInitShape, MessageShape} from '@bufbuild/protobuf'
import type {GenService, GenServiceMethods} from '@bufbuild/protobuf/codegenv2'
import type * as grpc from '@grpc/grpc-js'
import {format} from 'node:util'

import {debug} from '../ui/debug.js'

/** A grpc-js ServiceDefinition keyed by the methods' camelCase local names. */
export function serviceDefinition(service: DescService): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {}
  for (const method of service.methods) {
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
      responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
      requestSerialize: (message) => Buffer.from(toBinary(method.input, message as MessageShape<DescMethod['input']>)),
      requestDeserialize: (bytes: Buffer) => fromBinary(method.input, bytes),
      responseSerialize: (message) => Buffer.from(toBinary(method.output, message as MessageShape<DescMethod['output']>)),
      responseDeserialize: (bytes: Buffer) => fromBinary(method.output, bytes),
      originalName: method.name,
    }
  }
  return definition
}

/**
 * grpc-js writes its own diagnostics to stderr (e.g. "E No address added out of total 1 resolved" before a bind
 * error we already explain). Send them to --debug instead, for clients and servers alike.
 */
export function routeGrpcLogs(grpcModule: typeof grpc): void {
  const toDebug = (...args: unknown[]) => debug(`grpc-js: ${format(...args)}`)
  grpcModule.setLogger({error: toDebug, info: toDebug, debug: toDebug})
}

/** Per-call options every client method accepts. */
export interface CallOptions {
  /** Milliseconds; every call has a deadline. */
  timeoutMs?: number
  metadata?: Record<string, string>
}

type UnaryMethod<M extends GenServiceMethods[string]> = (
  request: MessageInitShape<M['input']>,
  options?: CallOptions,
) => Promise<MessageShape<M['output']>>

type StreamMethod<M extends GenServiceMethods[string]> = (
  request: MessageInitShape<M['input']>,
  options?: CallOptions,
) => AsyncIterable<MessageShape<M['output']>> & {cancel(): void}

/** A promise-based client: unary methods return promises, server-streaming methods async iterables. */
export type ServiceClient<T extends GenServiceMethods> = {
  [K in keyof T]: T[K]['methodKind'] extends 'unary'
    ? UnaryMethod<T[K]>
    : T[K]['methodKind'] extends 'server_streaming'
      ? StreamMethod<T[K]>
      : never
} & {close(): void}

export interface ClientOptions {
  /** host:port */
  endpoint: string
  credentials: grpc.ChannelCredentials
  /** Added to every call, e.g. an authorization header that is computed per call. */
  metadata?: () => Promise<Record<string, string>> | Record<string, string>
  defaultTimeoutMs?: number
  channelOptions?: grpc.ChannelOptions
}

export function createServiceClient<T extends GenServiceMethods>(
  grpcModule: typeof grpc,
  service: GenService<T>,
  options: ClientOptions,
): ServiceClient<T> {
  routeGrpcLogs(grpcModule)
  const definition = serviceDefinition(service)
  const Ctor = grpcModule.makeGenericClientConstructor(definition, service.typeName)
  const raw = new Ctor(options.endpoint, options.credentials, {
    'grpc.max_receive_message_length': 16 * 1024 * 1024,
    // grpc-js backs off reconnects up to 120 s: a proxy would notice a restarted control plane (or a dev stack's
    // control plane that starts after it) that late. Our peers are a few hops away; retry every second at most.
    'grpc.initial_reconnect_backoff_ms': 250,
    'grpc.max_reconnect_backoff_ms': 1000,
    ...options.channelOptions,
  }) as unknown as Record<string, (...args: unknown[]) => unknown> & grpc.Client
  const defaultTimeout = options.defaultTimeoutMs ?? 10_000

  async function buildMetadata(callOptions?: CallOptions): Promise<grpc.Metadata> {
    const metadata = new grpcModule.Metadata()
    const base = options.metadata ? await options.metadata() : {}
    for (const [key, value] of Object.entries({...base, ...callOptions?.metadata})) metadata.set(key, value)
    return metadata
  }

  const client: Record<string, unknown> = {close: () => raw.close()}
  for (const method of service.methods) {
    const invoke = raw[method.localName].bind(raw)
    if (method.methodKind === 'unary') {
      client[method.localName] = async (request: object, callOptions?: CallOptions) => {
        const message = create(method.input, request as never)
        const metadata = await buildMetadata(callOptions)
        const timeoutMs = callOptions?.timeoutMs ?? defaultTimeout
        const deadline = new Date(Date.now() + timeoutMs)
        // grpc-js's deadline and reconnect timers do not hold the process open: a CLI whose only pending work is
        // this call (its peer reachable but not yet serving) would otherwise exit mid-call, with status 0.
        const hold = setTimeout(() => {}, timeoutMs + 1000)
        return new Promise((resolve, reject) => {
          invoke(message, metadata, {deadline}, (err: grpc.ServiceError | null, response: unknown) => {
            clearTimeout(hold)
            if (err) reject(err)
            else resolve(response)
          })
        })
      }
    } else if (method.methodKind === 'server_streaming') {
      client[method.localName] = (request: object, callOptions?: CallOptions) => {
        let call: grpc.ClientReadableStream<unknown> | undefined
        let cancelled = false
        return {
          cancel() {
            cancelled = true
            call?.cancel()
          },
          async *[Symbol.asyncIterator]() {
            const metadata = await buildMetadata(callOptions)
            if (cancelled) return
            const callOpts = callOptions?.timeoutMs ? {deadline: new Date(Date.now() + callOptions.timeoutMs)} : {}
            call = invoke(create(method.input, request as never), metadata, callOpts) as grpc.ClientReadableStream<unknown>
            try {
              for await (const message of call) yield message
            } catch (err) {
              if (!cancelled) throw err
            }
          },
        }
      }
    }
  }
  return client as ServiceClient<T>
}

/** Server-side handlers: return the response (init shape is fine); throw to fail the call. */
export type ServiceHandlers<T extends GenServiceMethods> = {
  [K in keyof T]: T[K]['methodKind'] extends 'unary'
    ? (
        request: MessageShape<T[K]['input']>,
        call: grpc.ServerUnaryCall<MessageShape<T[K]['input']>, MessageShape<T[K]['output']>>,
      ) => Promise<MessageInitShape<T[K]['output']>>
    : T[K]['methodKind'] extends 'server_streaming'
      ? (
          request: MessageShape<T[K]['input']>,
          call: grpc.ServerWritableStream<MessageShape<T[K]['input']>, MessageShape<T[K]['output']>>,
        ) => Promise<void>
      : never
}

/**
 * Registers promise-based handlers on a grpc-js server. `toStatus` turns a thrown error into a grpc status object
 * (the one place where server errors are mapped); streaming handlers end the stream when their promise settles.
 */
export function addService<T extends GenServiceMethods>(
  server: grpc.Server,
  service: GenService<T>,
  handlers: ServiceHandlers<T>,
  toStatus: (err: unknown) => Partial<grpc.StatusObject>,
): void {
  const implementation: grpc.UntypedServiceImplementation = {}
  for (const method of service.methods) {
    const handler = (handlers as Record<string, (...args: unknown[]) => Promise<unknown>>)[method.localName]
    if (!handler) continue
    if (method.methodKind === 'unary') {
      implementation[method.localName] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        handler(call.request, call).then(
          (response) => callback(null, create(method.output, response as never)),
          (err) => callback(toStatus(err) as grpc.ServerErrorResponse),
        )
      }
    } else if (method.methodKind === 'server_streaming') {
      implementation[method.localName] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
        handler(call.request, call).then(
          () => call.end(),
          // grpc-js sends a stream's status from its 'error' event (after what was written drains); destroy() would
          // drop the status and leave the client waiting forever.
          (err) => call.emit('error', Object.assign(new Error('stream failed'), toStatus(err))),
        )
      }
    }
  }
  server.addService(serviceDefinition(service), implementation)
}

/** Stops accepting calls and lets the ones in flight finish, for at most graceMs; then cuts them off. */
export async function shutdownGracefully(server: grpc.Server, graceMs: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown()
      resolve()
    }, graceMs)
    server.tryShutdown(() => {
      clearTimeout(timer)
      resolve()
    })
  })
}
