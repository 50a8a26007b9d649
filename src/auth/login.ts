/**
 * `prismctl login` and `logout`: choose the flow, get the secrets the flow needs without ever taking them from a
 * flag, and store or revoke the tokens of a context.
 */
import {spawn} from 'node:child_process'

import {DEFAULTS, type ResolvedContext} from '../config/contexts.js'
import {PrismError, usageError} from '../errors.js'
import {decodeJwt, identityOf} from './jwt-claims.js'
import {checkedTokensDir, deleteTokens, readTokens, storedContexts, type StoredTokens, tokenPath, writeTokens} from './token-store.js'

export interface LoginOptions {
  context: ResolvedContext
  insecure?: boolean
  /** Open verification_uri_complete in a browser. */
  open?: boolean
  username?: string
  passwordStdin?: boolean
  clientCredentials?: boolean
  signal?: AbortSignal
  env?: NodeJS.ProcessEnv
  stdin?: NodeJS.ReadableStream & {isTTY?: boolean}
  /** Messages for the person at the terminal (stderr): the device code, the URL. */
  tell: (line: string) => void
}

export interface LoginResult {
  context: string
  issuer: string
  clientId: string
  grant: StoredTokens['grant']
  subject?: string
  email?: string
  groups: string[]
  expiresAt?: string
  tokenFile: string
  /** What became of the login this one replaced: its refresh token is revoked at its issuer, best effort. */
  previous?: Revocation
}

/** revoked: at the issuer; unsupported: the issuer has no revocation endpoint; failed: see error. */
export interface Revocation {
  revocation: 'revoked' | 'unsupported' | 'failed' | 'skipped'
  error?: string
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)))
  // One trailing newline is what `echo` and most secret stores add; it is never part of the password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
}

/** On stderr, so that stdout stays clean for --json and pipes. */
async function ask(message: string, hidden = false): Promise<string> {
  const {input, password} = await import('@inquirer/prompts')
  try {
    const answer = hidden ? await password({message, mask: true}, {output: process.stderr}) : await input({message}, {output: process.stderr})
    return hidden ? answer : answer.trim()
  } catch (err) {
    if ((err as Error).name === 'ExitPromptError') throw new PrismError('login cancelled', {code: 'CANCELLED', hint: 'Nothing was saved.'})
    throw err
  }
}

function openBrowser(url: string): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]]
  const child = spawn(cmd, args as string[], {stdio: 'ignore', detached: true})
  child.on('error', () => undefined)
  child.unref()
}

function describeTokens(context: string, tokens: StoredTokens, tokenFile: string): LoginResult {
  const claims = decodeJwt(tokens.bearer) ?? {}
  return {
    context,
    issuer: tokens.issuer,
    clientId: tokens.clientId,
    grant: tokens.grant,
    ...identityOf(claims),
    expiresAt: tokens.expiresAt,
    tokenFile,
  }
}

export async function login(options: LoginOptions): Promise<LoginResult> {
  const {context, tell} = options
  const env = options.env ?? process.env
  const stdin = options.stdin ?? process.stdin
  const interactive = Boolean(stdin.isTTY) && Boolean(process.stderr.isTTY)
  if (options.passwordStdin && !options.username) throw usageError('--password-stdin needs --username')
  if (options.clientCredentials && options.username) throw usageError('--client-credentials and --username are different logins; pick one')
  // Fail on a bad token directory before talking to the issuer.
  const path = tokenPath(context.name, env)
  checkedTokensDir(env)
  // The login this one replaces; one that cannot be read (leaked, corrupt) cannot be revoked from here either.
  let previous: StoredTokens | undefined
  try {
    previous = readTokens(context.name, env)
  } catch {
    previous = undefined
  }

  const {discover, deviceCodeLogin, passwordLogin, clientCredentialsLogin} = await import('./oidc.js')
  let tokens: StoredTokens
  if (options.clientCredentials) {
    // The CLI's own public client cannot be a service account: without an explicit id, ask for one.
    let clientId = context.clientId
    if (clientId === DEFAULTS.clientId && !env.PRISM_CLIENT_ID) {
      if (!interactive) throw usageError('no client id for --client-credentials: set PRISM_CLIENT_ID (and PRISM_CLIENT_SECRET)', 'Or pass --client-id, or set it on the context: prismctl context set NAME --client-id ID')
      clientId = await ask('Client id:')
    }
    let secret = env.PRISM_CLIENT_SECRET
    if (!secret) {
      if (!interactive) throw usageError('no client secret: set PRISM_CLIENT_SECRET (and PRISM_CLIENT_ID)', 'CI: export PRISM_CLIENT_ID and PRISM_CLIENT_SECRET from your secret store.')
      secret = await ask(`Client secret for ${clientId}:`, true)
    }
    const issuer = await discover({issuer: context.issuer, clientId, clientSecret: secret, insecure: options.insecure})
    tokens = await clientCredentialsLogin(issuer, context.scopes)
  } else if (options.username) {
    let password: string
    if (options.passwordStdin) password = await readAll(stdin)
    else if (interactive) password = await ask(`Password for ${options.username}:`, true)
    else throw usageError('no terminal to ask for the password', 'Pipe it in with --password-stdin (never as a flag value).')
    if (!password) throw usageError('the password is empty')
    const issuer = await discover({issuer: context.issuer, clientId: context.clientId, insecure: options.insecure})
    tokens = await passwordLogin(issuer, context.scopes, options.username, password)
  } else {
    const issuer = await discover({issuer: context.issuer, clientId: context.clientId, insecure: options.insecure})
    tokens = await deviceCodeLogin(
      issuer,
      context.scopes,
      (prompt) => {
        tell(`To log in, open ${prompt.verificationUri} and enter the code: ${prompt.userCode}`)
        if (prompt.verificationUriComplete) tell(`  (or open ${prompt.verificationUriComplete})`)
        tell(`Waiting for approval (the code expires in ${Math.round(prompt.expiresIn / 60) || 1} min; Ctrl-C to cancel)…`)
        if (options.open) openBrowser(prompt.verificationUriComplete ?? prompt.verificationUri)
      },
      options.signal,
    )
  }
  writeTokens(context.name, tokens, env)
  const result = describeTokens(context.name, tokens, path)
  // Only once the new login is stored: a failure here never costs it, it is only reported.
  if (previous && (previous.refreshToken ?? previous.accessToken) !== (tokens.refreshToken ?? tokens.accessToken)) {
    result.previous = await revokeAtIssuer(previous, env)
    if (result.previous.revocation === 'failed') tell(`Warning: the previous login's token could not be revoked at ${previous.issuer} (${result.previous.error}); it stays valid until it expires.`)
  }
  return result
}

/** Revokes a stored login's refresh token (else its access token) at its issuer; never throws. */
async function revokeAtIssuer(tokens: StoredTokens, env: NodeJS.ProcessEnv): Promise<Revocation> {
  try {
    const {discover, revoke} = await import('./oidc.js')
    const issuer = await discover({issuer: tokens.issuer, clientId: tokens.clientId, insecure: tokens.insecure, clientSecret: tokens.grant === 'client_credentials' ? env.PRISM_CLIENT_SECRET : undefined})
    return {revocation: (await revoke(issuer, tokens)) ? 'revoked' : 'unsupported'}
  } catch (err) {
    return {revocation: 'failed', error: (err as Error).message}
  }
}

export interface LogoutEntry extends Revocation {
  context: string
  deleted: boolean
  /** What endSessions said, when it ran. */
  sessions?: SessionsEnded
}

/** The proxy sessions of a login ended at logout (by the proxy at endpoint), or why not. */
export interface SessionsEnded {
  endpoint: string
  /** Absent when the proxy could not be asked. */
  ended?: number
  error?: string
}

export interface LogoutOptions {
  context: string
  all?: boolean
  env?: NodeJS.ProcessEnv
  /** Runs for each context with a stored login, before it is revoked and deleted: the proxy sessions of its bearer. */
  endSessions?: (context: string, bearer: string) => Promise<SessionsEnded | undefined>
}

export async function logout(options: LogoutOptions): Promise<LogoutEntry[]> {
  const env = options.env ?? process.env
  const contexts = options.all ? storedContexts(env) : [options.context]
  const entries: LogoutEntry[] = []
  for (const context of contexts) {
    let tokens: StoredTokens | undefined
    let entry: LogoutEntry = {context, revocation: 'skipped', deleted: false}
    try {
      tokens = readTokens(context, env)
    } catch (err) {
      // A token file that leaked or is corrupt is deleted all the same; it cannot be revoked from here.
      entry = {...entry, revocation: 'failed', error: (err as Error).message}
    }
    const sessions = tokens && options.endSessions ? await options.endSessions(context, tokens.bearer) : undefined
    if (sessions) entry.sessions = sessions
    if (tokens) entry = {...entry, ...(await revokeAtIssuer(tokens, env))}
    entry.deleted = deleteTokens(context, env)
    entries.push(entry)
  }
  if (!options.all && !entries[0]?.deleted) {
    throw new PrismError(`not logged in for context ${options.context}`, {code: 'NOT_FOUND', hint: 'Nothing to do. See the stored logins with: prismctl whoami'})
  }
  return entries
}
