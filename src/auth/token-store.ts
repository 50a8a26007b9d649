/**
 * Tokens on disk: one JSON file per context under <config dir>/tokens/, directory 0700, file 0600, written
 * atomically. A file that group or others can read is refused (it may have leaked), with the command that fixes it;
 * so is a tokens directory that others can write. Symbolic links are never followed, neither for the directory nor
 * for a file: a link would let whoever chose its target decide what is read as a token, or where tokens are written.
 */
import {closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'

import {configDir, refuseWritableByOthers, writeFileAtomic} from '../config/files.js'
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

function symlinkRefused(path: string, what: string): PrismError {
  return new PrismError(`refusing to use ${what} ${path}: it is a symbolic link`, {
    code: 'FAILED_PRECONDITION',
    hint: `prismctl does not follow links for tokens. Remove the link (rm ${path}) and log in again.`,
  })
}

/** The tokens directory, checked: not a link, a directory, not writable by others. Undefined when absent. */
export function checkedTokensDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = join(configDir(env), 'tokens')
  const stats = lstatSync(dir, {throwIfNoEntry: false})
  if (!stats) return undefined
  if (stats.isSymbolicLink()) throw symlinkRefused(dir, 'the tokens directory')
  if (!stats.isDirectory()) throw new PrismError(`refusing to use the tokens directory ${dir}: it is not a directory`, {code: 'FAILED_PRECONDITION', hint: `Move it away (mv ${dir} ${dir}.bak) and log in again.`})
  refuseWritableByOthers(dir, 'the tokens directory', stats)
  return dir
}

export function tokenPath(context: string, env: NodeJS.ProcessEnv = process.env): string {
  if (!/^[\w.@-]+$/.test(context)) {
    throw new PrismError(`context name "${context}" cannot be used as a file name`, {code: 'INVALID_ARGUMENT', hint: 'Use letters, digits, ".", "_", "@" and "-" in context names.'})
  }
  return join(configDir(env), 'tokens', `${context}.json`)
}

/** Whether the context has a token file (a link counts, so that reading it is refused rather than skipped). */
export function hasTokens(context: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const path = tokenPath(context, env)
  return checkedTokensDir(env) !== undefined && lstatSync(path, {throwIfNoEntry: false}) !== undefined
}

/** The file's text, opened without following a link; only a regular file private to the user is read. */
function readPrivateFile(path: string): string {
  let fd: number
  try {
    // O_NONBLOCK: a FIFO planted in place of the file must not block the open.
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw symlinkRefused(path, 'the token file')
    throw err
  }
  try {
    const stats = fstatSync(fd)
    if (!stats.isFile()) throw new PrismError(`refusing to use the token file ${path}: it is not a regular file`, {code: 'FAILED_PRECONDITION', hint: `Remove it (rm ${path}) and log in again.`})
    const mode = stats.mode & 0o777
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      throw new PrismError(`refusing to use ${path}: it is readable by other users (mode ${mode.toString(8).padStart(4, '0')})`, {
        code: 'FAILED_PRECONDITION',
        hint: `Fix it with: chmod 600 ${path}   (and log in again if others may have read it)`,
      })
    }
    return readFileSync(fd, 'utf8')
  } finally {
    closeSync(fd)
  }
}

/** Returns undefined when the context has no stored tokens. */
export function readTokens(context: string, env: NodeJS.ProcessEnv = process.env): StoredTokens | undefined {
  if (!hasTokens(context, env)) return undefined
  const path = tokenPath(context, env)
  const text = readPrivateFile(path)
  let parsed: StoredTokens
  try {
    parsed = JSON.parse(text) as StoredTokens
  } catch {
    // Not JSON.parse's error as the cause: it quotes the text, which --debug would print.
    throw new PrismError(`the token file ${path} is corrupt`, {code: 'FAILED_PRECONDITION', hint: `Log in again: prismctl login --context ${context}`})
  }
  if (parsed.version !== 1 || typeof parsed.bearer !== 'string') {
    throw new PrismError(`the token file ${path} has an unknown format`, {code: 'FAILED_PRECONDITION', hint: `Log in again: prismctl login --context ${context}`})
  }
  return parsed
}

export function writeTokens(context: string, tokens: StoredTokens, env: NodeJS.ProcessEnv = process.env): string {
  const path = tokenPath(context, env)
  // Checked before writing: ensurePrivateDir would otherwise follow a link and chmod its target.
  checkedTokensDir(env)
  writeFileAtomic(path, `${JSON.stringify(tokens, null, 2)}\n`, 0o600)
  return path
}

export function deleteTokens(context: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (!hasTokens(context, env)) return false
  const path = tokenPath(context, env)
  rmSync(path, {force: true})
  return true
}

/** Contexts that have a token file. */
export function storedContexts(env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = checkedTokensDir(env)
  if (!dir) return []
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort()
}
