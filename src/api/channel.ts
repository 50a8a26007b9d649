/**
 * What every client of our servers shares: grpc-js (imported here, lazily), the context's transport (TLS with an
 * optional CA file, or plaintext), the bearer token as per-call metadata, and the guarantee that a closed client
 * never keeps the process alive.
 */
import {readFileSync} from 'node:fs'
import {isIP, type Socket} from 'node:net'
import type * as grpc from '@grpc/grpc-js'

import {decodeJwt} from '../auth/jwt-claims.js'
import {isLoopbackHost} from '../auth/oidc.js'
import {optionalBearer, REFRESH_MARGIN_SEC} from '../auth/session.js'
import type {ResolvedContext} from '../config/contexts.js'
import {PrismError, usageError} from '../errors.js'

/**
 * Returns the bearer token to send for the context, or undefined to send none. The default is PRISM_TOKEN, else
 * the context's stored login (src/auth/session.ts).
 */
export type BearerLookup = (ctx: ResolvedContext) => Promise<string | undefined> | string | undefined

/**
 * The largest bearer sent, in bytes. Real ID and access tokens are a few KiB; a much larger header block makes the
 * server reset the connection (ours did at about 100 KB: GOAWAY with COMPRESSION_ERROR), which says nothing useful,
 * so an oversized token is refused here, with a message, before anything is sent.
 */
export const MAX_BEARER_BYTES = 16 * 1024

export interface Channel {
  grpc: typeof grpc
  credentials: grpc.ChannelCredentials
  /** The authorization header for a call, when there is a token to send. */
  metadata: () => Promise<Record<string, string>>
  /** Call after closing the grpc-js clients made with `credentials`: their connections no longer hold the process. */
  release: () => void
}

function checkBearerSize(token: string, ctx: ResolvedContext): void {
  const bytes = Buffer.byteLength(token)
  if (bytes <= MAX_BEARER_BYTES) return
  const where = process.env.PRISM_TOKEN ? 'PRISM_TOKEN' : `the stored login of context "${ctx.name}"`
  throw new PrismError(`the bearer token from ${where} is ${bytes} bytes; prismctl sends at most ${MAX_BEARER_BYTES} bytes (16 KiB)`, {
    code: 'INVALID_ARGUMENT',
    hint: process.env.PRISM_TOKEN ? 'PRISM_TOKEN should hold one token (an ID or access token of a few KiB); check what sets it.' : `Log in again: prismctl login --context ${ctx.name}`,
  })
}

/** A PEM file the context names (undefined when it names none). */
function readPem(ctx: ResolvedContext, file: string | undefined, what: string, flag: string): Buffer | undefined {
  if (!file) return undefined
  try {
    return readFileSync(file)
  } catch (err) {
    throw new PrismError(`cannot read the ${what} ${file} of context "${ctx.name}": ${(err as Error).message}`, {
      hint: `Fix it with: prismctl context set ${ctx.name} ${flag} PATH`,
      cause: err,
    })
  }
}

/**
 * A bearer never travels in clear beyond this machine: without TLS, only to a loopback address (localhost,
 * 127.0.0.0/8, ::1), unless the user said --insecure-plaintext. Checked before the call, so nothing is sent.
 */
function checkPlaintext(ctx: ResolvedContext, endpoint: string): void {
  if (ctx.tls || ctx.insecurePlaintext || isLoopbackHost(endpoint.slice(0, endpoint.lastIndexOf(':')))) return
  throw new PrismError(`refusing to send a bearer token in clear to ${endpoint}: context "${ctx.name}" does not use TLS and ${endpoint} is not a loopback address`, {
    code: 'FAILED_PRECONDITION',
    hint: `Anyone on the network path could read the token and act as you until it expires. Use TLS (the server runs with --tls-cert/--tls-key): prismctl context set ${ctx.name} --tls [--ca-file CA.pem]. On a network you trust, --insecure-plaintext (or PRISM_INSECURE_PLAINTEXT=1) sends it anyway.`,
  })
}

/**
 * Records the sockets grpc-js opens with these credentials. After a GOAWAY with an error (e.g. a header block the
 * server would not take), Node's HTTP/2 client half-closes the socket and waits for the peer to close its side;
 * a server that never does kept the CLI running for ever after it had printed the error. grpc-js offers no public
 * hook on its sockets; _createSecureConnector is the one every connection goes through.
 */
function trackSockets(credentials: grpc.ChannelCredentials): Set<Socket> {
  const sockets = new Set<Socket>()
  const create = credentials._createSecureConnector.bind(credentials)
  credentials._createSecureConnector = (...args) => {
    const connector = create(...args)
    // grpc-js sets SNI to the target host, an IP address included, which Node warns is not permitted (RFC 6066);
    // without it Node still checks the certificate against that address.
    const options = (connector as {connectionOptions?: {servername?: string}}).connectionOptions
    if (options?.servername && isIP(options.servername)) delete options.servername
    const connect = connector.connect.bind(connector)
    connector.connect = async (socket) => {
      sockets.add(socket)
      socket.once('close', () => sockets.delete(socket))
      const result = await connect(socket)
      sockets.add(result.socket)
      result.socket.once('close', () => sockets.delete(result.socket))
      return result
    }
    return connector
  }
  return sockets
}

function tlsCredentials(grpcModule: typeof grpc, ctx: ResolvedContext): grpc.ChannelCredentials {
  if (Boolean(ctx.certFile) !== Boolean(ctx.keyFile)) {
    throw usageError(`context "${ctx.name}" has a client ${ctx.certFile ? 'certificate but no key' : 'key but no certificate'}`, `Give both: prismctl context set ${ctx.name} --cert-file CERT.pem --key-file KEY.pem`)
  }
  const ca = readPem(ctx, ctx.caFile, 'CA file', '--ca-file')
  const key = readPem(ctx, ctx.keyFile, 'client key', '--key-file')
  const cert = readPem(ctx, ctx.certFile, 'client certificate', '--cert-file')
  try {
    return grpcModule.credentials.createSsl(ca, key, cert)
  } catch (err) {
    throw new PrismError(`cannot use the TLS files of context "${ctx.name}": ${(err as Error).message}`, {hint: 'They must be PEM: --ca-file a CA bundle, --cert-file a certificate, --key-file its private key.', cause: err})
  }
}

/** A channel to `endpoint` (the context's admin or proxy endpoint). */
export async function openChannel(ctx: ResolvedContext, endpoint: string, bearer: BearerLookup = optionalBearer): Promise<Channel> {
  const grpcModule = await import('@grpc/grpc-js')
  const credentials = ctx.tls ? tlsCredentials(grpcModule, ctx) : grpcModule.credentials.createInsecure()
  const sockets = trackSockets(credentials)
  // Looked up once per client, not per call (a lookup reads the token file), and again only when the token it gave
  // nears expiry, which is when the session would refresh it.
  let cached: {token: string | undefined; renewAt: number} | undefined
  return {
    grpc: grpcModule,
    credentials,
    async metadata(): Promise<Record<string, string>> {
      if (!cached || Date.now() >= cached.renewAt) {
        const token = await bearer(ctx)
        if (token) {
          checkBearerSize(token, ctx)
          checkPlaintext(ctx, endpoint)
        }
        const exp = token ? decodeJwt(token)?.exp : undefined
        cached = {token, renewAt: typeof exp === 'number' ? (exp - REFRESH_MARGIN_SEC) * 1000 : Number.POSITIVE_INFINITY}
      }
      return cached.token ? {authorization: `Bearer ${cached.token}`} : {}
    },
    release() {
      for (const socket of sockets) socket.unref()
    },
  }
}
