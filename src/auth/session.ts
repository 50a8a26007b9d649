/**
 * The bearer lookup every server call goes through: PRISM_TOKEN if set, else the context's stored token,
 * refreshed shortly before it expires. Refreshing happens under a per-context lock file and re-reads the token
 * file once the lock is held, because another prismctl process may have refreshed (and rotated the single-use
 * refresh token) in the meantime.
 */
import {PrismError} from '../errors.js'
import {debug} from '../ui/debug.js'
import {withFileLock} from './lock.js'
import {hasTokens, readTokens, type StoredTokens, tokenPath, writeTokens} from './token-store.js'

/** Refresh when less than this is left, so a token never expires in flight. */
export const REFRESH_MARGIN_SEC = 60

export interface SessionContext {
  /** Context name: the token file is tokens/<name>.json. */
  name: string
}

export type BearerSource = 'PRISM_TOKEN' | 'stored' | 'refreshed'

export interface Bearer {
  token: string
  source: BearerSource
  tokens?: StoredTokens
  path?: string
}

function secondsLeft(tokens: StoredTokens, now = Date.now()): number {
  return tokens.expiresAt ? (Date.parse(tokens.expiresAt) - now) / 1000 : Number.POSITIVE_INFINITY
}

function isFresh(tokens: StoredTokens, now = Date.now()): boolean {
  return secondsLeft(tokens, now) > REFRESH_MARGIN_SEC
}

function notLoggedIn(context: string): PrismError {
  return new PrismError(`not logged in for context ${context}`, {code: 'UNAUTHENTICATED', hint: `Log in with: prismctl login --context ${context}   (or set PRISM_TOKEN)`})
}

function sessionExpired(context: string, grant?: StoredTokens['grant'], cause?: unknown): PrismError {
  const how = grant === 'client_credentials' ? ' --client-credentials' : ''
  return new PrismError(`your session for context ${context} has expired`, {code: 'UNAUTHENTICATED', hint: `Log in again: prismctl login --context ${context}${how}`, cause})
}

/** Undefined when the session cannot be renewed without a new login. */
async function renew(context: string, tokens: StoredTokens, env: NodeJS.ProcessEnv): Promise<StoredTokens | undefined> {
  const {discover, refresh, clientCredentialsLogin} = await import('./oidc.js')
  const settings = {issuer: tokens.issuer, clientId: tokens.clientId, insecure: tokens.insecure}
  if (tokens.refreshToken) {
    const issuer = await discover(settings)
    debug(`refreshing the token of context ${context} at ${tokens.issuer}`)
    return refresh(issuer, tokens)
  }
  // Service accounts get no refresh token: they log in again when their secret is still in the environment.
  if (tokens.grant === 'client_credentials' && env.PRISM_CLIENT_SECRET && (env.PRISM_CLIENT_ID ?? tokens.clientId) === tokens.clientId) {
    const issuer = await discover({...settings, clientSecret: env.PRISM_CLIENT_SECRET})
    return clientCredentialsLogin(issuer, tokens.scope ?? '')
  }
  return undefined
}

/** The bearer to send, refreshed if needed. Throws a PrismError naming the login command when there is none. */
/** Whether getBearer has a token to look at (PRISM_TOKEN or a stored login), fresh or not. */
export function hasLogin(context: SessionContext, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.PRISM_TOKEN) || readTokens(context.name, env) !== undefined
}

export async function getBearer(context: SessionContext, env: NodeJS.ProcessEnv = process.env): Promise<Bearer> {
  if (env.PRISM_TOKEN) {
    debug('PRISM_TOKEN is set: it is sent instead of any stored login')
    return {token: env.PRISM_TOKEN.trim(), source: 'PRISM_TOKEN'}
  }
  const path = tokenPath(context.name, env)
  const tokens = readTokens(context.name, env)
  if (!tokens) throw notLoggedIn(context.name)
  if (isFresh(tokens)) return {token: tokens.bearer, source: 'stored', tokens, path}

  return withFileLock(`${path}.lock`, async () => {
    const current = readTokens(context.name, env)
    if (!current) throw notLoggedIn(context.name)
    // Someone else refreshed while we waited for the lock.
    if (isFresh(current)) return {token: current.bearer, source: 'stored' as const, tokens: current, path}
    let renewed: StoredTokens | undefined
    try {
      renewed = await renew(context.name, current, env)
    } catch (err) {
      const code = (err as PrismError).code
      // An unreachable issuer does not end a session whose token is still valid for a few seconds.
      if (code === 'UNAVAILABLE' && secondsLeft(current) > 0) {
        debug(`refresh failed (${(err as Error).message}); using the current token until it expires`)
        return {token: current.bearer, source: 'stored' as const, tokens: current, path}
      }
      if (code === 'UNAVAILABLE') throw err
      throw sessionExpired(context.name, current.grant, err)
    }
    if (!renewed) throw sessionExpired(context.name, current.grant)
    writeTokens(context.name, renewed, env)
    debug(`token of context ${context.name} refreshed; valid until ${renewed.expiresAt ?? 'unknown'}`)
    return {token: renewed.bearer, source: 'refreshed' as const, tokens: renewed, path}
  })
}

/**
 * For the gRPC clients: PRISM_TOKEN, else the stored (refreshed) token, else nothing, so that servers running
 * with `--auth none` work without a login and the others answer UNAUTHENTICATED with a login hint.
 */
export async function optionalBearer(context: SessionContext, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (!env.PRISM_TOKEN && !hasTokens(context.name, env)) return undefined
  return (await getBearer(context, env)).token
}
