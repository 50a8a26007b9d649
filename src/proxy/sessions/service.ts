/**
 * SessionStorePattern: the sessions of the namespaces this proxy serves, as the session stores hold them (so every
 * proxy answers the same). Anyone authenticated sees, gets and refreshes their own sessions; an operator sees and
 * kills anyone's. Logout ends the calling token's own sessions.
 */
import {timestampFromMs} from '@bufbuild/protobuf/wkt'

import type {ServiceHandlers} from '../../api/grpc-service.js'
import {hasRole, requireRole, type Authenticator, type Principal} from '../../controlplane/authn.js'
import {PrismError} from '../../errors.js'
import type {SessionStorePattern} from '../../gen/prism/patterns/v1/session_store_pb.js'
import {checkPolicy} from '../auth.js'
import {backendTypeName, header, NAMESPACE_HEADER} from '../router.js'
import type {RoutingTable} from '../routing.js'
import {sessionManagerOf} from './config.js'
import type {Connections} from './events.js'
import type {FoundSession, SessionManager} from './manager.js'
import {SESSION_ID, type SessionRecord} from './records.js'

export interface SessionServiceDeps {
  authenticator: Authenticator
  sessions: SessionManager
  table: () => RoutingTable
  connections: Connections
}

export function toSession(r: SessionRecord) {
  return {
    id: r.id,
    principal: r.principal,
    subject: r.subject,
    email: r.email ?? '',
    groups: r.groups,
    namespace: r.namespace,
    startedAt: timestampFromMs(r.startedAt),
    lastSeenAt: timestampFromMs(r.lastSeenAt),
    expiresAt: timestampFromMs(r.expiresAt),
    tokenExpiresAt: timestampFromMs(r.tokenExpiresAt),
  }
}

const own = (principal: Principal, record: SessionRecord) => principal.subject === record.subject

function checkId(id: string): void {
  if (!SESSION_ID.test(id)) throw new PrismError(`"${id.slice(0, 80)}" is not a session id (32 hex digits)`, {code: 'INVALID_ARGUMENT', hint: 'Copy the ID column of: prismctl session list'})
}

export function sessionStoreHandlers(deps: SessionServiceDeps): ServiceHandlers<(typeof SessionStorePattern)['method']> {
  const caller = (call: Parameters<typeof header>[0]) => deps.authenticator.authenticate(header(call, 'authorization'))

  /** The session, if the caller may see it (their own, or any for an operator). */
  async function visible(principal: Principal, id: string, namespace: string): Promise<FoundSession> {
    checkId(id)
    const found = await deps.sessions.find(id, namespace || undefined)
    if (!own(principal, found.record)) requireRole(principal, 'operator', "seeing another caller's session")
    return found
  }

  return {
    getCapabilities: async (_req, call) => {
      const principal = await caller(call)
      const namespace = header(call, NAMESPACE_HEADER)
      if (!namespace) throw new PrismError(`no namespace: the ${NAMESPACE_HEADER} header is missing`, {code: 'INVALID_ARGUMENT', hint: 'Name the namespace whose session manager you ask about.'})
      const table = deps.table()
      const route = table.routes.get(namespace)
      if (!route) throw new PrismError(`namespace ${namespace} does not exist (this proxy does not serve it)`, {code: 'NOT_FOUND', hint: 'List the namespaces with: prismctl namespace list'})
      // What backs a namespace's sessions is the namespace's to tell: its auth.allowedGroups hold here as for data.
      checkPolicy(deps.authenticator, principal, route)
      const config = sessionManagerOf(route)
      const kv = (await deps.connections(config.storeBackend, config.storeVaultPath)).keyValue
      const typeOf = (backend: string) => {
        const type = table.backends.get(backend)?.type
        return type === undefined ? '' : backendTypeName(type)
      }
      return {
        namespace,
        pattern: config.pattern,
        storeBackend: config.storeBackend,
        storeBackendType: typeOf(config.storeBackend),
        eventsBackend: config.eventsBackend ?? '',
        supportsEvents: config.eventsBackend !== undefined,
        supportsList: kv !== undefined && kv.support.scan !== 'unavailable',
        idleTimeoutSeconds: config.idleMs ? Math.ceil(config.idleMs / 1000) : 0,
      }
    },
    get: async (req, call) => toSession((await visible(await caller(call), req.id, req.namespace)).record),
    list: async (req, call) => {
      const principal = await caller(call)
      const all = await deps.sessions.list(req.namespace || undefined)
      const mine = hasRole(principal, 'operator') ? all : all.filter((r) => own(principal, r))
      return {sessions: mine.map(toSession)}
    },
    refresh: async (req, call) => toSession(await deps.sessions.refresh(await visible(await caller(call), req.id, req.namespace))),
    kill: async (req, call) => {
      const principal = await caller(call)
      requireRole(principal, 'operator', 'killing a session')
      checkId(req.id)
      const found = await deps.sessions.find(req.id, req.namespace || undefined)
      await deps.sessions.end(found, 'killed', principal.name)
      return {session: toSession(found.record)}
    },
    logout: async (_req, call) => {
      const principal = await caller(call)
      // Without tokens (--auth none) there are no sessions to end.
      if (!deps.authenticator.enabled) return {sessions: []}
      const ended = await deps.sessions.logout(principal, header(call, 'authorization')!, header(call, NAMESPACE_HEADER) || undefined)
      return {sessions: ended.map(toSession)}
    },
  }
}
