/**
 * From a data call to what serves it: the namespace and pattern headers, the routing table, the caller's identity
 * against the namespace's policy, and the connection to the backend behind the pattern's slot.
 */
import type * as grpc from '@grpc/grpc-js'

import type {Authenticator, Principal} from '../controlplane/authn.js'
import {PrismError} from '../errors.js'
import {BackendType} from '../gen/prism/admin/v1/resources_pb.js'
import {checkPolicy} from './auth.js'
import type {BackendPool} from './backends.js'
import type {BackendConnection} from './drivers/types.js'
import type {Family, RoutingTable, Target} from './routing.js'
import type {SessionManager} from './sessions/manager.js'

export const NAMESPACE_HEADER = 'x-prism-namespace'
export const PATTERN_HEADER = 'x-prism-pattern'

export interface Routed {
  target: Target
  principal: Principal
  connection: BackendConnection
  /**
   * Settles when the caller's session admits the call (at once where the pattern is not session-aware). Already
   * settled unless the call was routed with deferSession; then the caller must await it before answering.
   */
  session: Promise<void>
  /** e.g. "redis"; only capability answers need it, so it is not worked out on every call. */
  readonly backendType: string
}

/** BackendType.REDIS → "redis"; a number this build does not know, as is. */
export function backendTypeName(type: BackendType): string {
  return (BackendType[type] ?? String(type)).toLowerCase()
}

export interface RouteOptions {
  /**
   * For reads: the session check runs beside the backend call instead of before it (the caller awaits both, so a
   * refused session's result is discarded). Writes never defer: a refused session must not have written anything.
   */
  deferSession?: boolean
}

export type Router = (call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>, family: Family, options?: RouteOptions) => Promise<Routed>

export interface RouterDeps {
  table: () => RoutingTable
  /** False until the first Watch reached SYNCED: an empty table then means "not known yet", not "no namespaces". */
  synced: () => boolean
  pool: BackendPool
  authenticator: Authenticator
  /** Keeps the sessions of session-aware patterns (with auth on: without tokens there are no sessions). */
  sessions?: SessionManager
}

export function header(call: {metadata: grpc.Metadata}, name: string): string | undefined {
  const value = call.metadata.get(name)[0]
  return value === undefined ? undefined : value.toString()
}

const ADMITTED = Promise.resolve()

export function createRouter(deps: RouterDeps): Router {
  return async (call, family, options) => {
    const namespace = header(call, NAMESPACE_HEADER)
    if (!namespace) throw new PrismError(`no namespace: the ${NAMESPACE_HEADER} header is missing`, {code: 'INVALID_ARGUMENT', hint: 'Name the namespace (prismctl passes it for you: prismctl kv get NAMESPACE KEY).'})
    if (!deps.synced()) {
      throw new PrismError('the proxy has not synchronised with the control plane yet', {code: 'UNAVAILABLE', hint: 'Retry in a moment; prismctl proxy status shows the sync state.'})
    }
    // Authenticated before the lookup, so that a caller without a valid token learns nothing about what exists.
    const principal = await deps.authenticator.authenticate(header(call, 'authorization'))
    const table = deps.table()
    const target = table.target(namespace, family, header(call, PATTERN_HEADER) || undefined)
    checkPolicy(deps.authenticator, principal, target.route)
    const session = target.pattern.sessionAware && deps.authenticator.enabled && deps.sessions ? deps.sessions.admit(target.route, principal, header(call, 'authorization')!) : ADMITTED
    // Deferred, the caller awaits it later: until then its rejection must not count as unhandled.
    if (options?.deferSession) session.catch(() => {})
    else await session
    const connection = await deps.pool.get(target.backend, target.vaultPath)
    return {
      target,
      principal,
      connection,
      session,
      get backendType() {
        return backendTypeName(table.backends.get(target.backend)?.type ?? BackendType.UNSPECIFIED)
      },
    }
  }
}
