/**
 * What every client of our servers shares: grpc-js (imported here, lazily), the context's transport (TLS with an
 * optional CA file, or plaintext), and the bearer token as per-call metadata.
 */
import {readFileSync} from 'node:fs'
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

export interface Channel {
  grpc: typeof grpc
  credentials: grpc.ChannelCredentials
  /** The authorization header for a call, when there is a token to send. */
  metadata: () => Promise<Record<string, string>>
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
  // Looked up once per client, not per call (a lookup reads the token file), and again only when the token it gave
  // nears expiry, which is when the session would refresh it.
  let cached: {token: string | undefined; renewAt: number} | undefined
  return {
    grpc: grpcModule,
    credentials,
    async metadata(): Promise<Record<string, string>> {
      if (!cached || Date.now() >= cached.renewAt) {
        const token = await bearer(ctx)
        const exp = token ? decodeJwt(token)?.exp : undefined
        cached = {token, renewAt: typeof exp === 'number' ? (exp - REFRESH_MARGIN_SEC) * 1000 : Number.POSITIVE_INFINITY}
      }
      return cached.token ? {authorization: `Bearer ${cached.token}`} : {}
    },
  }
}
