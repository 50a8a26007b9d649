/**
 * The control plane client the CLI uses: one channel to the context's admin endpoint, a deadline on every call,
 * the bearer token as per-call metadata, and every failure turned into a PrismError naming the resource involved.
 * grpc-js is imported here, lazily, so commands that never talk to the control plane do not pay for it.
 */
import {readFileSync} from 'node:fs'

import type {ResolvedContext} from '../config/contexts.js'
import {PrismError} from '../errors.js'
import {ControlPlane} from '../gen/prism/admin/v1/control_plane_pb.js'
import {decodeJwt} from '../auth/jwt-claims.js'
import {optionalBearer, REFRESH_MARGIN_SEC} from '../auth/session.js'
import {debug} from '../ui/debug.js'
import {createServiceClient, type CallOptions, type ServiceClient} from './grpc-service.js'
import {toPrismError, type CallSubject} from './grpc-errors.js'

const DEFAULT_TIMEOUT_MS = 10_000

type Methods = typeof ControlPlane.method
type RawClient = ServiceClient<Methods>
type UnaryName = {[K in keyof Methods]: Methods[K]['methodKind'] extends 'unary' ? K : never}[keyof Methods]

export interface AdminConnectOptions {
  /** Deadline per call; DEFAULT_TIMEOUT_MS when absent. */
  timeoutMs?: number
  /**
   * Returns the bearer token to send for the context, or undefined to send none. The default is PRISM_TOKEN, else
   * the context's stored login (src/auth/session.ts).
   */
  bearer?: (ctx: ResolvedContext) => Promise<string | undefined> | string | undefined
}

export interface AdminClient {
  readonly endpoint: string
  /** Calls a unary method; a failure is a PrismError that names `subject` (the namespace or backend involved). */
  call<K extends UnaryName>(
    method: K,
    request: Parameters<RawClient[K]>[0],
    subject?: Pick<CallSubject, 'kind' | 'name'>,
  ): Promise<Awaited<ReturnType<RawClient[K]>>>
  close(): void
}

export async function connectAdmin(ctx: ResolvedContext, options: AdminConnectOptions = {}): Promise<AdminClient> {
  const grpc = await import('@grpc/grpc-js')
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const bearer = options.bearer ?? optionalBearer
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
    credentials = grpc.credentials.createSsl(ca)
  } else {
    credentials = grpc.credentials.createInsecure()
  }
  // Looked up once per client, not per call (a lookup reads the token file), and again only when the token it gave
  // nears expiry, which is when the session would refresh it.
  let cached: {token: string | undefined; renewAt: number} | undefined
  const raw = createServiceClient(grpc, ControlPlane, {
    endpoint: ctx.adminEndpoint,
    credentials,
    defaultTimeoutMs: timeoutMs,
    metadata: async (): Promise<Record<string, string>> => {
      if (!cached || Date.now() >= cached.renewAt) {
        const token = await bearer(ctx)
        const exp = token ? decodeJwt(token)?.exp : undefined
        cached = {token, renewAt: typeof exp === 'number' ? (exp - REFRESH_MARGIN_SEC) * 1000 : Number.POSITIVE_INFINITY}
      }
      return cached.token ? {authorization: `Bearer ${cached.token}`} : {}
    },
  })
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
        throw toPrismError(err, {...subject, endpoint: ctx.adminEndpoint, context: ctx.name, timeoutMs})
      }
    },
    close: () => raw.close(),
  }
}
