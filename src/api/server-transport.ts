/**
 * How our gRPC servers (control plane and proxy) meet the network: plaintext or TLS (optionally mutual), and the
 * limits that hold before any caller is authenticated — connections, concurrent streams per connection, a deadline
 * for receiving a whole request, keepalive pings and an idle timeout. The values are stated in the README ("Limits").
 *
 * grpc-js has no option for a connection cap, so we own the listening socket (a net.Server with maxConnections) and
 * hand each accepted connection to grpc-js through its connection injector (public API).
 */
import {readFileSync} from 'node:fs'
import {constants as http2Constants, type ServerHttp2Stream} from 'node:http2'
import {createServer as createNetServer, type Server as NetServer, type Socket} from 'node:net'
import type * as grpc from '@grpc/grpc-js'

import {usageError} from '../errors.js'
import {listenError, splitListen} from './listen.js'

export interface TransportLimits {
  /** Open connections; one past it is closed as soon as it is accepted. */
  maxConnections: number
  /** Streams in flight on one connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS); past it: REFUSED_STREAM. */
  maxConcurrentStreams: number
  /** From a call's headers to its last request byte (half-close); past it: DEADLINE_EXCEEDED, before authentication. */
  requestTimeoutMs: number
  /**
   * The server pings every connection this often, and closes one that does not answer within keepaliveTimeoutMs:
   * dead peers, and connections Node's HTTP/2 server stopped reading after a GOAWAY for a protocol error (they sat in
   * CLOSE-WAIT until the process ended).
   */
  keepaliveTimeMs: number
  keepaliveTimeoutMs: number
  /** A connection without a call for this long is closed (GOAWAY); clients reconnect when they next call. */
  idleTimeoutMs: number
}

export const DEFAULT_TRANSPORT_LIMITS: TransportLimits = {
  maxConnections: 1000,
  maxConcurrentStreams: 100,
  requestTimeoutMs: 15_000,
  keepaliveTimeMs: 30_000,
  keepaliveTimeoutMs: 20_000,
  idleTimeoutMs: 5 * 60_000,
}

export interface ServerTls {
  certFile: string
  keyFile: string
  /** Mutual TLS: clients must present a certificate signed by this CA. */
  clientCaFile?: string
}

/**
 * Options for `new grpc.Server(...)`: the limits grpc-js enforces itself, plus the request deadline as an
 * interceptor. No max_connection_age: proxies hold a Watch open for hours, and ending it would resynchronise them.
 */
export function transportServerOptions(grpcModule: typeof grpc, limits: TransportLimits): grpc.ServerOptions {
  return {
    'grpc.max_concurrent_streams': limits.maxConcurrentStreams,
    'grpc.keepalive_time_ms': limits.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': limits.keepaliveTimeoutMs,
    'grpc.max_connection_idle_ms': limits.idleTimeoutMs,
    interceptors: [requestDeadline(grpcModule, limits.requestTimeoutMs)],
  }
}

/**
 * Ends a call whose request has not fully arrived (its half-close, or for a client stream its first message)
 * within `ms` of its headers. grpc-js would otherwise wait for ever, holding the stream and its buffers, before a
 * handler (and so authentication) ever runs. Server streams such as Watch are not affected once their request is in.
 */
function requestDeadline(grpcModule: typeof grpc, ms: number): grpc.ServerInterceptor {
  return (method, call) => {
    const timer = setTimeout(() => {
      call.sendStatus({code: grpcModule.status.DEADLINE_EXCEEDED, details: `the request did not arrive within ${ms / 1000} s`})
      // The status ends our side only; the stream (and its slot under max_concurrent_streams) would stay open until
      // the client ends its side, which such a client never does. RFC 9113 8.1: after a complete response, a
      // server may reset the stream with NO_ERROR (sent once the status is flushed).
      http2StreamOf(call)?.close(http2Constants.NGHTTP2_NO_ERROR)
    }, ms)
    timer.unref()
    const arrived = () => clearTimeout(timer)
    return new grpcModule.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMessage(message, nextMessage) {
            if (method.requestStream) arrived()
            nextMessage(message)
          },
          onReceiveHalfClose(nextHalfClose) {
            arrived()
            nextHalfClose()
          },
          onCancel: arrived,
        })
      },
      sendStatus(status, nextStatus) {
        arrived()
        nextStatus(status)
      },
    })
  }
}

/**
 * The HTTP/2 stream under a grpc-js server call. grpc-js does not expose it; its innermost call object (ours is
 * the only interceptor) keeps it as `stream`. Checked at run time, so a grpc-js that changes this only loses the
 * reset, not the status.
 */
function http2StreamOf(call: grpc.ServerInterceptingCallInterface): ServerHttp2Stream | undefined {
  const stream = (call as unknown as {stream?: ServerHttp2Stream}).stream
  return stream && typeof stream.close === 'function' && 'rstCode' in stream ? stream : undefined
}

function readPem(file: string, flag: string): Buffer {
  try {
    return readFileSync(file)
  } catch (err) {
    throw usageError(`cannot read ${flag} ${file}: ${(err as Error).message}`, `${flag} takes a PEM file the server can read.`)
  }
}

export function serverCredentials(grpcModule: typeof grpc, tls: ServerTls | undefined): grpc.ServerCredentials {
  if (!tls) return grpcModule.ServerCredentials.createInsecure()
  const cert = readPem(tls.certFile, '--tls-cert')
  const key = readPem(tls.keyFile, '--tls-key')
  const clientCa = tls.clientCaFile ? readPem(tls.clientCaFile, '--client-ca') : null
  try {
    return grpcModule.ServerCredentials.createSsl(clientCa, [{cert_chain: cert, private_key: key}], Boolean(clientCa))
  } catch (err) {
    throw usageError(`cannot use --tls-cert ${tls.certFile} with --tls-key ${tls.keyFile}: ${(err as Error).message}`, 'Both must be PEM: the certificate (chain) and its private key.')
  }
}

/** What the listening line says after the address: nothing for plaintext. */
export function transportNote(tls: ServerTls | undefined): string {
  return tls ? (tls.clientCaFile ? ' (mutual TLS)' : ' (TLS)') : ''
}

/** Checks the TLS flags as given: a certificate needs its key and the other way round; --client-ca needs both. */
export function tlsOf(flags: {'tls-cert'?: string; 'tls-key'?: string; 'client-ca'?: string}): ServerTls | undefined {
  const {'tls-cert': certFile, 'tls-key': keyFile, 'client-ca': clientCaFile} = flags
  if (!certFile && !keyFile) {
    if (clientCaFile) throw usageError('--client-ca needs --tls-cert and --tls-key', 'Mutual TLS is TLS first: give the server its certificate and key too.')
    return undefined
  }
  if (!certFile || !keyFile) throw usageError('--tls-cert and --tls-key go together', 'Give both: the certificate (PEM, chain first) and its private key (PEM).')
  return {certFile, keyFile, clientCaFile}
}

export interface Listener {
  /** host:port actually bound. */
  address: string
  /** Stops accepting connections. */
  stopAccepting(): void
  /** Closes whatever connections grpc-js has not closed (call after the server's own shutdown). */
  destroy(): void
}

/** Listens on `listen` and feeds grpc-js the accepted connections, at most limits.maxConnections at a time. */
export async function listenGrpc(
  grpcModule: typeof grpc,
  server: grpc.Server,
  options: {listen: string; tls?: ServerTls; limits: TransportLimits; log: (line: string) => void},
): Promise<Listener> {
  const [host, port] = splitListen(options.listen, '--listen')
  const injector = server.createConnectionInjector(serverCredentials(grpcModule, options.tls))
  const sockets = new Set<Socket>()
  let lastDropLog = 0
  const net: NetServer = createNetServer((socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    injector.injectConnection(socket)
  })
  net.maxConnections = options.limits.maxConnections
  net.on('drop', () => {
    if (Date.now() - lastDropLog < 60_000) return
    lastDropLog = Date.now()
    options.log(`connection limit reached (${options.limits.maxConnections} open): refusing new connections`)
  })
  await new Promise<void>((resolve, reject) => {
    net.once('error', (err) => reject(listenError(options.listen, '--listen', err)))
    net.listen({host, port}, () => resolve())
  })
  const bound = net.address()
  const boundPort = typeof bound === 'object' && bound ? bound.port : port
  return {
    address: `${host.includes(':') ? `[${host}]` : host}:${boundPort}`,
    stopAccepting: () => net.close(),
    destroy() {
      for (const socket of sockets) socket.destroy()
    },
  }
}
