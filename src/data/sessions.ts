/**
 * The `session` commands' work: the proxy's SessionStorePattern (sessions live in the namespaces' session stores,
 * so any proxy serving a namespace answers the same), and how sessions are shown.
 */
import {timestampDate, type Timestamp} from '@bufbuild/protobuf/wkt'
import {stringify} from 'yaml'

import type {SessionsEnded} from '../auth/login.js'
import {connectProxy} from '../api/proxy-client.js'
import {readConfig, resolveContext} from '../config/contexts.js'
import {SessionStorePattern, type Session} from '../gen/prism/patterns/v1/session_store_pb.js'
import {confirmDestructive} from '../registry/confirm.js'
import {renderTable} from '../ui/table.js'
import {withProxy, type ProxyConnectionOptions} from './connection.js'

export const SESSION_FORMATS = ['table', 'json', 'yaml'] as const
export type SessionFormat = (typeof SESSION_FORMATS)[number]

export interface SessionView {
  id: string
  principal: string
  subject: string
  email?: string
  groups: string[]
  namespace: string
  startedAt: string
  lastSeenAt: string
  expiresAt: string
  tokenExpiresAt: string
}

const iso = (t: Timestamp | undefined) => (t ? timestampDate(t).toISOString() : '')

export function sessionView(s: Session): SessionView {
  return {
    id: s.id,
    principal: s.principal,
    subject: s.subject,
    ...(s.email ? {email: s.email} : {}),
    groups: [...s.groups],
    namespace: s.namespace,
    startedAt: iso(s.startedAt),
    lastSeenAt: iso(s.lastSeenAt),
    expiresAt: iso(s.expiresAt),
    tokenExpiresAt: iso(s.tokenExpiresAt),
  }
}

export async function listSessions(options: ProxyConnectionOptions, namespace?: string): Promise<SessionView[]> {
  const r = await withProxy(options, (p) => p.call(SessionStorePattern, 'list', {namespace: namespace ?? ''}))
  return r.sessions.map(sessionView)
}

export async function getSession(options: ProxyConnectionOptions, id: string, namespace?: string): Promise<SessionView> {
  return sessionView(await withProxy(options, (p) => p.call(SessionStorePattern, 'get', {id, namespace: namespace ?? ''})))
}

/** Kills a session (operator role) after asking, unless `yes`; the session as it was. */
export async function killSession(options: ProxyConnectionOptions, id: string, confirm: {namespace?: string; yes?: boolean; interactive?: boolean}): Promise<SessionView> {
  return withProxy(options, async (p) => {
    const namespace = confirm.namespace ?? ''
    if (!confirm.yes) {
      const s = await p.call(SessionStorePattern, 'get', {id, namespace})
      await confirmDestructive(`Kill session ${id} of ${s.principal} in namespace ${s.namespace}? Its token will be refused until it expires.`, `kill session ${id}`, confirm)
    }
    return sessionView((await p.call(SessionStorePattern, 'kill', {id, namespace})).session!)
  })
}

/**
 * `prismctl logout`, before it forgets a context's login: best effort, the proxy ends the sessions of that login's
 * bearer (reason logged_out) and refuses it from then on. Only where a proxy endpoint is configured (the context's,
 * or PRISM_PROXY_ENDPOINT for the context this run selected: never another context's token to that proxy), and
 * within a short deadline: logging out never waits on a proxy that is away.
 */
export async function endProxySessions(context: string, bearer: string, options: {selected: boolean; env?: NodeJS.ProcessEnv}): Promise<SessionsEnded | undefined> {
  const env = options.env ?? process.env
  const stored = readConfig(env).contexts[context]
  const endpoint = (options.selected ? env.PRISM_PROXY_ENDPOINT : undefined) || stored?.proxyEndpoint
  if (!endpoint) return undefined
  try {
    // A login of a context that config.yaml does not hold: the proxy of the environment, with default settings.
    const ctx = resolveContext(stored ? {context, proxyEndpoint: endpoint} : {proxyEndpoint: endpoint}, env)
    const proxy = await connectProxy(ctx, {timeoutMs: 3000, bearer: () => bearer})
    try {
      return {endpoint, ended: (await proxy.call(SessionStorePattern, 'logout', {})).sessions.length}
    } finally {
      proxy.close()
    }
  } catch (err) {
    return {endpoint, error: (err as Error).message}
  }
}

/** Seconds are enough in a table; -o json and yaml keep the milliseconds. */
const short = (time: string) => time.replace(/\.\d{3}Z$/, 'Z')

/** For stdout, without a trailing newline: a table (upstream's columns plus last seen and expiry), JSON or YAML. */
export function renderSessions(sessions: SessionView[], format: SessionFormat, options: {single?: boolean} = {}): string {
  const data = options.single ? sessions[0] : {sessions}
  if (format === 'json') return JSON.stringify(data, null, 2)
  if (format === 'yaml') return stringify(data).trimEnd()
  const rows = sessions.map((s) => [s.id, s.principal, s.namespace, short(s.startedAt), short(s.lastSeenAt), short(s.expiresAt)])
  return renderTable(['ID', 'PRINCIPAL', 'NAMESPACE', 'STARTED', 'LAST SEEN', 'EXPIRES'], rows)
}
