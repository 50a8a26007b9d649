/**
 * Tokens on disk: one JSON file per context under <config dir>/tokens/, directory 0700, file 0600, written
 * atomically. A file that group or others can read is refused (it may have leaked), with the command that fixes it.
 */
import {existsSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {configDir, writeFileAtomic} from '../config/files.js'
import {PrismError} from '../errors.js'

export type GrantKind = 'device_code' | 'password' | 'client_credentials'

export interface StoredTokens {
  version: 1
  issuer: string
  clientId: string
  grant: GrantKind
  /** Plain http:// to a non-loopback issuer was allowed at login (--insecure); refreshes keep allowing it. */
  insecure?: boolean
  /** The bearer our servers receive: the ID token, or a JWT access token when there is no ID token. */
  bearer: string
  idToken?: string
  accessToken: string
  refreshToken?: string
  scope?: string
  /** Expiry of the bearer, ISO 8601. */
  expiresAt?: string
  obtainedAt: string
}

function tokensDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'tokens')
}

export function tokenPath(context: string, env: NodeJS.ProcessEnv = process.env): string {
  if (!/^[\w.@-]+$/.test(context)) {
    throw new PrismError(`context name "${context}" cannot be used as a file name`, {code: 'INVALID_ARGUMENT', hint: 'Use letters, digits, ".", "_", "@" and "-" in context names.'})
  }
  return join(tokensDir(env), `${context}.json`)
}

/** Returns undefined when the context has no stored tokens. */
export function readTokens(context: string, env: NodeJS.ProcessEnv = process.env): StoredTokens | undefined {
  const path = tokenPath(context, env)
  if (!existsSync(path)) return undefined
  const mode = statSync(path).mode & 0o777
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new PrismError(`refusing to use ${path}: it is readable by other users (mode ${mode.toString(8).padStart(4, '0')})`, {
      code: 'FAILED_PRECONDITION',
      hint: `Fix it with: chmod 600 ${path}   (and log in again if others may have read it)`,
    })
  }
  let parsed: StoredTokens
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as StoredTokens
  } catch (err) {
    throw new PrismError(`the token file ${path} is corrupt`, {code: 'FAILED_PRECONDITION', hint: `Log in again: prismctl login --context ${context}`, cause: err})
  }
  if (parsed.version !== 1 || typeof parsed.bearer !== 'string') {
    throw new PrismError(`the token file ${path} has an unknown format`, {code: 'FAILED_PRECONDITION', hint: `Log in again: prismctl login --context ${context}`})
  }
  return parsed
}

export function writeTokens(context: string, tokens: StoredTokens, env: NodeJS.ProcessEnv = process.env): string {
  const path = tokenPath(context, env)
  writeFileAtomic(path, `${JSON.stringify(tokens, null, 2)}\n`, 0o600)
  return path
}

export function deleteTokens(context: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const path = tokenPath(context, env)
  if (!existsSync(path)) return false
  rmSync(path, {force: true})
  return true
}

/** Contexts that have a token file. */
export function storedContexts(env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = tokensDir(env)
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort()
}
