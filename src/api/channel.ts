/**
 * What every client of our servers shares: grpc-js (imported here, lazily), the context's transport (TLS with an
 * optional CA file, or plaintext), the bearer token as per-call metadata, and the guarantee that a closed client
 * never keeps the process alive.
 */
import {readFileSync} from 'node:fs'
import type {Socket} from 'node:net'
import type * as grpc from '@grpc/grpc-js'

import {decodeJwt} from '../auth/jwt-claims.js'
import {optionalBearer, REFRESH_MARGIN_SEC} from '../auth/session.js'
import type {ResolvedContext} from '../config/contexts.js'
import {PrismError} from '../errors.js'

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

export async function openChannel(ctx: ResolvedContext, bearer: BearerLookup = optionalBearer): Promise<Channel> {
  const grpcModule = await import('@grpc/grpc-js')
  let credentials
  if (ctx.tls) {
    let ca: Buffer | undefined
    if (ctx.caFile) {
      try {
        ca = readFileSync(ctx.caFile)
      } catch (err) {
        throw new PrismError(`cannot read the CA file ${ctx.caFile} of context "${ctx.name}": ${(err as Error).message}`, {
          hint: `Fix it with: prismctl context set ${ctx.name} --ca-file PATH`,
          cause: err,
        })
      }
    }
    credentials = grpcModule.credentials.createSsl(ca)
  } else {
    credentials = grpcModule.credentials.createInsecure()
  }
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
        if (token) checkBearerSize(token, ctx)
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
