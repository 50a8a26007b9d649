/**
 * Login, tokens and JWT verification against a real OIDC provider on 127.0.0.1 (test/helpers/oidc-provider.ts).
 * Flow logic runs in-process; the CLI is spawned where the CLI itself is under test (device login, Ctrl-C,
 * password from stdin, --debug output, two processes refreshing at once, token file permissions).
 */
import {chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {Readable} from 'node:stream'
import {fileURLToPath} from 'node:url'

import {decodeProtectedHeader} from 'jose'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {login, logout} from '../../src/auth/login.js'
import {decodeJwt} from '../../src/auth/jwt-claims.js'
import {discover} from '../../src/auth/oidc.js'
import {getBearer} from '../../src/auth/session.js'
import {readTokens, type StoredTokens, tokenPath, writeTokens} from '../../src/auth/token-store.js'
import {resolveContext} from '../../src/config/contexts.js'
import {createJwtAuthenticator} from '../../src/jwt/verifier.js'
import {startAdminServer, type AdminServer} from '../helpers/admin-server.js'
import {runCli, tempDir, type CliResult, type RunOptions} from '../helpers/cli.js'
import {CI_CLIENT, CLIENT_ID, startTestProvider, type TestProvider, USERS} from '../helpers/oidc-provider.js'

/** The built CLI with this test's environment (PRISM_CONFIG_DIR and any variables the test sets). */
function cli(args: string[], env: NodeJS.ProcessEnv, options: {stdin?: string; onStderr?: RunOptions['onStderr']} = {}): Promise<CliResult> {
  const {PRISM_CONFIG_DIR: configDir, ...vars} = env
  return runCli(args, {configDir, env: vars, input: options.stdin, onStderr: options.onStderr})
}

let dir: string
let env: NodeJS.ProcessEnv

beforeEach(() => {
  dir = tempDir('prism-auth-')
  env = {PRISM_CONFIG_DIR: dir}
})

afterEach(() => rmSync(dir, {recursive: true, force: true}))

const ctxFor = (issuer: string, clientId = CLIENT_ID) => resolveContext({issuer, clientId}, env)
const quiet = () => undefined

/** In-process password login of a test user, stored for the default context of `userEnv`'s config dir. */
function passwordLogin(issuer: string, user: string, userEnv: NodeJS.ProcessEnv = env) {
  return login({context: resolveContext({issuer, clientId: CLIENT_ID}, userEnv), env: userEnv, username: USERS[user]!.email, passwordStdin: true, stdin: Readable.from([`${USERS[user]!.password}\n`]), tell: quiet})
}

function codeFrom(stderrText: string): string | undefined {
  return /enter the code: (\S+)/.exec(stderrText)?.[1]
}

describe('device login', () => {
  let op: TestProvider
  beforeAll(async () => {
    op = await startTestProvider({deviceInterval: 0.05})
  })
  afterAll(() => op.close())

  it('logs in through the spawned CLI with headless approval and stores the token privately', async () => {
    let approving: Promise<void> | undefined
    const result = await cli(['login', '--issuer', op.issuer], env, {
      onStderr: (text) => {
        const code = codeFrom(text)
        if (code && !approving) approving = op.approveDevice(code, 'alice')
      },
    })
    await approving
    expect(result.stderr).toMatch(new RegExp(`open ${op.issuer}/device and enter the code`))
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain(`Logged in to ${op.issuer} as alice@example.test (context default).`)
    const path = tokenPath('default', env)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(statSync(join(dir, 'tokens')).mode & 0o777).toBe(0o700)
    const stored = readTokens('default', env)!
    expect(stored.grant).toBe('device_code')
    expect(stored.bearer).toBe(stored.idToken)
    expect(stored.refreshToken).toBeTruthy()
    expect(decodeJwt(stored.bearer)).toMatchObject({iss: op.issuer, aud: CLIENT_ID, sub: 'alice', groups: ['admins']})
    // Nothing secret on the terminal.
    for (const secret of [stored.idToken!, stored.accessToken, stored.refreshToken!]) expect(result.stdout + result.stderr).not.toContain(secret)
  })

  it('--open hands verification_uri_complete to the browser opener (xdg-open)', async () => {
    const bin = join(dir, 'bin')
    const opened = join(dir, 'opened.txt')
    mkdirSync(bin)
    writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$1" > '${opened}.tmp' && mv '${opened}.tmp' '${opened}'\n`, {mode: 0o755})
    let approving: Promise<void> | undefined
    const result = await cli(['login', '--issuer', op.issuer, '--open'], {...env, PATH: `${bin}:${process.env.PATH}`}, {
      onStderr: (text) => {
        const code = codeFrom(text)
        if (code && !approving) approving = op.approveDevice(code, 'alice')
      },
    })
    await approving
    expect(result.code, result.stderr).toBe(0)
    const complete = /\(or open (\S+)\)/.exec(result.stderr)?.[1]
    expect(complete).toContain(codeFrom(result.stderr))
    // The opener is detached from prismctl: wait (bounded) for it to have run.
    for (let i = 0; i < 100 && !existsSync(opened); i++) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(readFileSync(opened, 'utf8')).toBe(complete)
  })

  it('ends clearly when the user denies the request', async () => {
    const promise = login({
      context: ctxFor(op.issuer),
      env,
      tell: (line) => {
        const code = codeFrom(line)
        if (code) void op.approveDevice(code, 'alice', {deny: true})
      },
    })
    await expect(promise).rejects.toMatchObject({code: 'PERMISSION_DENIED', message: 'the login was denied in the browser'})
    expect(existsSync(tokenPath('default', env))).toBe(false)
  })

  it('cancels cleanly on Ctrl-C (spawned CLI, SIGINT)', async () => {
    const result = await cli(['login', '--issuer', op.issuer], env, {
      onStderr: (text, child) => {
        if (codeFrom(text) && !child.killed) child.kill('SIGINT')
      },
    })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('Error: login cancelled')
    expect(existsSync(tokenPath('default', env))).toBe(false)
  })
})

describe('device login edge cases', () => {
  it('ends clearly when the device code expires', async () => {
    const op = await startTestProvider({deviceInterval: 0.2, deviceCodeTtlSec: 1})
    try {
      await expect(login({context: ctxFor(op.issuer), env, tell: quiet})).rejects.toMatchObject({code: 'DEADLINE_EXCEEDED', message: expect.stringContaining('device code expired')})
      expect(op.polls.length).toBeGreaterThan(0)
    } finally {
      await op.close()
    }
  })

  it('obeys slow_down: the next poll waits 5 s longer', async () => {
    const op = await startTestProvider({deviceInterval: 0.05, slowDownOnce: true})
    try {
      const result = await login({
        context: ctxFor(op.issuer),
        env,
        tell: (line) => {
          const code = codeFrom(line)
          if (code) void op.approveDevice(code, 'bob')
        },
      })
      expect(result.email).toBe('bob@example.test')
      expect(op.polls[0]!.error).toBe('slow_down')
      expect(op.polls[1]!.at - op.polls[0]!.at).toBeGreaterThanOrEqual(5000)
    } finally {
      await op.close()
    }
  })

  it('keeps polling when authorization_pending comes with HTTP 401 (older Dex)', async () => {
    const op = await startTestProvider({deviceInterval: 0.05, pendingAs401: true})
    try {
      let approving: Promise<void> | undefined
      const result = await login({
        context: ctxFor(op.issuer),
        env,
        tell: (line) => {
          const code = codeFrom(line)
          if (code) approving = new Promise((r) => setTimeout(r, 150)).then(() => op.approveDevice(code, 'carol'))
        },
      })
      await approving
      expect(result.groups).toEqual(['viewers'])
      expect(op.polls.some((p) => p.error === 'authorization_pending')).toBe(true)
    } finally {
      await op.close()
    }
  })
})

describe('password, client credentials, PRISM_TOKEN, refresh, logout', () => {
  let op: TestProvider
  let short: TestProvider
  beforeAll(async () => {
    op = await startTestProvider({deviceInterval: 0.05})
    // ID tokens valid for 30 s: always inside the 60 s refresh margin, so every use refreshes.
    short = await startTestProvider({idTokenTtlSec: 30})
  })
  afterAll(async () => {
    await op.close()
    await short.close()
  })

  it('password grant through the CLI with --password-stdin; --debug shows no secret', async () => {
    const result = await cli(['login', '--issuer', op.issuer, '--username', 'bob@example.test', '--password-stdin', '--debug'], env, {stdin: 'bob-pw\n'})
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain('as bob@example.test')
    expect(result.stderr).toContain('[debug] discovering')
    const stored = readTokens('default', env)!
    expect(stored.grant).toBe('password')
    const token = await cli(['auth', 'token', '--debug'], env)
    expect(token.code, token.stderr).toBe(0)
    // stdout is the bearer and nothing else
    expect(token.stdout).toBe(`${stored.bearer}\n`)
    for (const secret of ['bob-pw', stored.bearer, stored.accessToken, stored.refreshToken!]) {
      expect(result.stdout + result.stderr).not.toContain(secret)
      expect(token.stderr).not.toContain(secret)
    }
    // --json: the bearer and its expiry for scripts, never the refresh token.
    const asJson = await cli(['auth', 'token', '--json'], env)
    expect(JSON.parse(asJson.stdout)).toEqual({token: stored.bearer, source: 'stored', expiresAt: stored.expiresAt})
    expect(asJson.stdout).not.toContain(stored.refreshToken!)
  })

  it('password grant: a wrong password is a clear error; no password without a terminal or stdin is a usage error', async () => {
    await expect(login({context: ctxFor(op.issuer), env, username: 'bob@example.test', passwordStdin: true, stdin: Readable.from(['nope\n']), tell: quiet})).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: expect.stringContaining('rejected the username or password'),
    })
    const result = await cli(['login', '--issuer', op.issuer, '--username', 'bob@example.test'], env)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--password-stdin')
    expect(result.stderr).not.toContain('nope')
  })

  it('client credentials: the JWT access token is the bearer and the server verifies it', async () => {
    const ciEnv = {...env, PRISM_CLIENT_ID: CI_CLIENT.id, PRISM_CLIENT_SECRET: CI_CLIENT.secret}
    const result = await login({context: resolveContext({issuer: op.issuer}, ciEnv), env: ciEnv, clientCredentials: true, tell: quiet})
    expect(result).toMatchObject({grant: 'client_credentials', clientId: CI_CLIENT.id, subject: CI_CLIENT.id})
    const stored = readTokens('default', env)!
    expect(stored.idToken).toBeUndefined()
    expect(stored.bearer).toBe(stored.accessToken)
    const principal = await createJwtAuthenticator({issuer: op.issuer, audience: CLIENT_ID}).authenticate(`Bearer ${stored.bearer}`)
    expect(principal).toMatchObject({name: CI_CLIENT.id, roles: ['operator']})
    await expect(login({context: resolveContext({issuer: op.issuer}, ciEnv), env: {...ciEnv, PRISM_CLIENT_SECRET: 'wrong'}, clientCredentials: true, tell: quiet})).rejects.toMatchObject({code: 'UNAUTHENTICATED'})
    // Without a terminal, missing credentials are a usage error naming the variables.
    await expect(login({context: ctxFor(op.issuer), env, clientCredentials: true, stdin: Readable.from([]), tell: quiet})).rejects.toMatchObject({exitCode: 2, message: expect.stringContaining('set PRISM_CLIENT_ID')})
    await expect(login({context: ctxFor(op.issuer, CI_CLIENT.id), env, clientCredentials: true, stdin: Readable.from([]), tell: quiet})).rejects.toMatchObject({exitCode: 2, message: expect.stringContaining('PRISM_CLIENT_SECRET')})
  })

  it('PRISM_TOKEN overrides the stored token for every call', async () => {
    await passwordLogin(op.issuer, 'alice')
    const bearer = await getBearer({name: 'default'}, {...env, PRISM_TOKEN: 'from-the-environment'})
    expect(bearer).toMatchObject({token: 'from-the-environment', source: 'PRISM_TOKEN'})
    const result = await cli(['auth', 'token'], {...env, PRISM_TOKEN: 'from-the-environment'})
    expect(result.stdout).toBe('from-the-environment\n')
  })

  it('refreshes an expiring ID token transparently and persists the rotated refresh token', async () => {
    await passwordLogin(short.issuer, 'alice')
    const before = readTokens('default', env)!
    const bearer = await getBearer({name: 'default'}, env)
    expect(bearer.source).toBe('refreshed')
    const after = readTokens('default', env)!
    expect(after.refreshToken).toBeTruthy()
    expect(after.refreshToken).not.toBe(before.refreshToken)
    expect(after.bearer).toBe(bearer.token)
    await expect(createJwtAuthenticator({issuer: short.issuer, audience: CLIENT_ID}).authenticate(`Bearer ${bearer.token}`)).resolves.toMatchObject({name: 'alice@example.test', roles: ['admin']})
    // The old refresh token was single-use.
    const issuer = await discover({issuer: short.issuer, clientId: CLIENT_ID})
    await expect(issuer.client.refreshTokenGrant(issuer.config, before.refreshToken!)).rejects.toMatchObject({error: 'invalid_grant'})
  })

  it('two processes refreshing at once both get a working token, and the stored one still refreshes', async () => {
    await passwordLogin(short.issuer, 'carol')
    const before = readTokens('default', env)!
    const [a, b] = await Promise.all([cli(['auth', 'token'], env), cli(['auth', 'token'], env)])
    expect(a.code, a.stderr).toBe(0)
    expect(b.code, b.stderr).toBe(0)
    const verifier = createJwtAuthenticator({issuer: short.issuer, audience: CLIENT_ID})
    for (const out of [a.stdout, b.stdout]) await expect(verifier.authenticate(`Bearer ${out.trim()}`)).resolves.toMatchObject({subject: 'carol'})
    const after = readTokens('default', env)!
    expect(after.refreshToken).not.toBe(before.refreshToken)
    expect(existsSync(`${tokenPath('default', env)}.lock`)).toBe(false)
    // Had both spent the same refresh token, the provider would have revoked the whole grant.
    await expect(getBearer({name: 'default'}, env)).resolves.toMatchObject({source: 'refreshed'})
  })

  it('says exactly which command to run when the session cannot be refreshed', async () => {
    await passwordLogin(short.issuer, 'alice')
    const stored = readTokens('default', env)!
    writeTokens('default', {...stored, refreshToken: 'revoked-or-garbage'}, env)
    const result = await cli(['auth', 'token'], env)
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain('Error: your session for context default has expired')
    expect(result.stderr).toContain('Hint: Log in again: prismctl login --context default')
    expect(result.stderr).not.toContain('revoked-or-garbage')
  })

  it('logout revokes the refresh token at the issuer and deletes the local token', async () => {
    await passwordLogin(op.issuer, 'bob')
    const stored: StoredTokens = readTokens('default', env)!
    const entries = await logout({context: 'default', env})
    expect(entries).toEqual([{context: 'default', revocation: 'revoked', deleted: true}])
    expect(existsSync(tokenPath('default', env))).toBe(false)
    const issuer = await discover({issuer: op.issuer, clientId: CLIENT_ID})
    await expect(issuer.client.refreshTokenGrant(issuer.config, stored.refreshToken!)).rejects.toMatchObject({error: 'invalid_grant'})
    await expect(logout({context: 'default', env})).rejects.toMatchObject({code: 'NOT_FOUND'})
  })

  it('a new login revokes the refresh token of the login it replaces', async () => {
    await passwordLogin(op.issuer, 'bob')
    const first = readTokens('default', env)!
    const second = await passwordLogin(op.issuer, 'alice')
    expect(second.previous).toEqual({revocation: 'revoked'})
    const issuer = await discover({issuer: op.issuer, clientId: CLIENT_ID})
    await expect(issuer.client.refreshTokenGrant(issuer.config, first.refreshToken!)).rejects.toMatchObject({error: 'invalid_grant'})
    // The new login's own refresh token still works.
    await expect(issuer.client.refreshTokenGrant(issuer.config, readTokens('default', env)!.refreshToken!)).resolves.toMatchObject({id_token: expect.any(String)})
  })

  it('a revocation that fails warns but never blocks the new login', async () => {
    await passwordLogin(op.issuer, 'bob')
    const stale = readTokens('default', env)!
    writeTokens('default', {...stale, issuer: 'http://127.0.0.1:9/gone'}, env)
    const told: string[] = []
    const result = await login({context: ctxFor(op.issuer), env, username: USERS.carol!.email, passwordStdin: true, stdin: Readable.from(['carol-pw\n']), tell: (line) => told.push(line)})
    expect(result).toMatchObject({email: 'carol@example.test', previous: {revocation: 'failed'}})
    expect(readTokens('default', env)!.refreshToken).not.toBe(stale.refreshToken)
    expect(told.join('\n')).toContain("Warning: the previous login's token could not be revoked at http://127.0.0.1:9/gone")
    expect(told.join('\n')).not.toContain(stale.refreshToken!)
  })

  it('logout --all through the CLI clears every context', async () => {
    await passwordLogin(op.issuer, 'bob')
    writeTokens('other', readTokens('default', env)!, env)
    const result = await cli(['logout', '--all'], env)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain('Logged out of context default: token revoked at the issuer; local token deleted.')
    expect(result.stdout).toContain('Logged out of context other')
    expect(existsSync(tokenPath('other', env))).toBe(false)
  })

  it('refuses a token file that others can read, naming the chmod that fixes it', async () => {
    await passwordLogin(op.issuer, 'bob')
    const path = tokenPath('default', env)
    chmodSync(path, 0o644)
    const result = await cli(['auth', 'token'], env)
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain(`refusing to use ${path}: it is readable by other users (mode 0644)`)
    expect(result.stderr).toContain(`chmod 600 ${path}`)
    chmodSync(path, 0o600)
    expect((await cli(['auth', 'token'], env)).code).toBe(0)
  })

  it('whoami without a control plane shows the token and says the control plane is unreachable', async () => {
    await passwordLogin(op.issuer, 'carol')
    writeFileSync(join(dir, 'config.yaml'), 'currentContext: default\ncontexts:\n  default:\n    adminEndpoint: 127.0.0.1:9\n')
    const result = await cli(['whoami', '-o', 'json'], env)
    expect(result.code, result.stderr).toBe(0)
    const me = JSON.parse(result.stdout)
    expect(me).toMatchObject({context: 'default', issuer: op.issuer, subject: 'carol', email: 'carol@example.test', groups: ['viewers'], tokenFile: tokenPath('default', env)})
    expect(me.controlPlane).toMatchObject({endpoint: '127.0.0.1:9', reachable: false})
    const text = await cli(['whoami'], env)
    expect(text.stdout).toContain('control plane unreachable (127.0.0.1:9)')
    expect(readFileSync(tokenPath('default', env), 'utf8')).toContain('"grant": "password"')
  })
})

describe('issuer problems', () => {
  it('an unreachable issuer is UNAVAILABLE with a hint, and a non-loopback http issuer needs --insecure', async () => {
    await expect(login({context: ctxFor('http://127.0.0.1:9/dex'), env, tell: quiet})).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining('cannot reach the OIDC issuer http://127.0.0.1:9/dex'),
      hint: expect.stringContaining('--issuer'),
    })
    const result = await cli(['login', '--issuer', 'http://dex.example:5556/dex'], env)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('refusing plain http:// for the non-loopback issuer http://dex.example:5556/dex')
  })

  it('a token refresh against an unreachable issuer keeps a still-valid token and otherwise says the issuer is down', async () => {
    const now = Date.now()
    const base: StoredTokens = {version: 1, issuer: 'http://127.0.0.1:9', clientId: CLIENT_ID, grant: 'password', bearer: 'still-valid', accessToken: 'a', refreshToken: 'r', obtainedAt: new Date(now).toISOString()}
    writeTokens('default', {...base, expiresAt: new Date(now + 30_000).toISOString()}, env)
    await expect(getBearer({name: 'default'}, env)).resolves.toMatchObject({token: 'still-valid', source: 'stored'})
    writeTokens('default', {...base, expiresAt: new Date(now - 1000).toISOString()}, env)
    await expect(getBearer({name: 'default'}, env)).rejects.toMatchObject({code: 'UNAVAILABLE'})
  })
})

describe('JWT verifier with real provider tokens', () => {
  it('accepts tokens from the provider, and after key rotation accepts the new kid once fetched', async () => {
    const op = await startTestProvider()
    try {
      const verifier = createJwtAuthenticator({issuer: op.issuer, audience: CLIENT_ID, jwksCooldownMs: 0})
      await passwordLogin(op.issuer, 'bob')
      const first = readTokens('default', env)!.bearer
      await expect(verifier.authenticate(`Bearer ${first}`)).resolves.toMatchObject({name: 'bob@example.test', roles: ['operator']})
      const kid = await op.rotateKeys()
      await passwordLogin(op.issuer, 'alice')
      const second = readTokens('default', env)!.bearer
      expect(decodeProtectedHeader(second).kid).toBe(kid)
      await expect(verifier.authenticate(`Bearer ${second}`)).resolves.toMatchObject({name: 'alice@example.test', roles: ['admin']})
      // Old tokens stay valid while the old key is published.
      await expect(verifier.authenticate(`Bearer ${first}`)).resolves.toMatchObject({subject: 'bob'})
      await expect(createJwtAuthenticator({issuer: op.issuer, audience: 'someone-else'}).authenticate(`Bearer ${second}`)).rejects.toMatchObject({code: 'UNAUTHENTICATED', message: expect.stringContaining('another audience')})
    } finally {
      await op.close()
    }
  })
})

describe('permission matrix through the CLI against admin serve --issuer', () => {
  let op: TestProvider
  let serverDir: string
  let server: AdminServer
  let endpoint: string
  /** One config dir per principal, each logged in (or not) to the default context. */
  const dirs: Record<string, string> = {}

  beforeAll(async () => {
    op = await startTestProvider()
    serverDir = tempDir('prism-authz-')
    server = await startAdminServer({args: ['--issuer', op.issuer, '--audience', CLIENT_ID]})
    endpoint = server.endpoint
    for (const user of ['alice', 'bob', 'carol', 'dave', 'paul', 'nobody']) {
      dirs[user] = tempDir(`prism-authz-${user}-`)
      if (user === 'nobody') continue
      await passwordLogin(op.issuer, user, {PRISM_CONFIG_DIR: dirs[user]})
    }
    // Fixtures, created by the admin: a backend for the namespaces to bind, and things to delete.
    const asAlice = (args: string[]) => cli(args, {PRISM_CONFIG_DIR: dirs.alice, PRISM_ADMIN_ENDPOINT: endpoint})
    for (const args of [['backend', 'register', 'mem-base', '--type', 'memstore'], ...['bob', 'carol', 'dave', 'paul', 'nobody', 'alice'].map((u) => ['backend', 'register', `doomed-${u}`, '--type', 'memstore'])]) {
      const r = await asAlice(args)
      expect(r.code, r.stderr).toBe(0)
    }
    for (const u of ['existing', ...['bob', 'carol', 'dave', 'paul', 'nobody', 'alice'].map((x) => `doomed-${x}`)]) {
      writeFileSync(join(serverDir, `${u}.yaml`), readFileSync(fileURLToPath(new URL('../../templates/examples/kv-memstore.yaml', import.meta.url)), 'utf8').replace('scratch-kv', u))
      const r = await asAlice(['namespace', 'apply', '-f', join(serverDir, `${u}.yaml`)])
      expect(r.code, r.stderr).toBe(0)
    }
  })

  afterAll(async () => {
    await server?.stop()
    await op.close()
    for (const d of [serverDir, ...Object.values(dirs)]) rmSync(d, {recursive: true, force: true})
  })

  type Outcome = 'ok' | 'denied' | 'unauthenticated'
  const ROLE_OF: Record<string, string> = {alice: 'admin', bob: 'operator', carol: 'viewer', dave: 'no role', paul: 'proxy', nobody: 'no token'}
  // viewer: get/list/whoami; operator: + create/apply/update; admin: + delete; proxy: what a viewer may (plus Watch and leases).
  const EXPECTED: Record<string, Record<string, Outcome>> = {
    list: {alice: 'ok', bob: 'ok', carol: 'ok', dave: 'denied', paul: 'ok', nobody: 'unauthenticated'},
    get: {alice: 'ok', bob: 'ok', carol: 'ok', dave: 'denied', paul: 'ok', nobody: 'unauthenticated'},
    whoami: {alice: 'ok', bob: 'ok', carol: 'ok', dave: 'denied', paul: 'ok', nobody: 'unauthenticated'},
    apply: {alice: 'ok', bob: 'ok', carol: 'denied', dave: 'denied', paul: 'denied', nobody: 'unauthenticated'},
    register: {alice: 'ok', bob: 'ok', carol: 'denied', dave: 'denied', paul: 'denied', nobody: 'unauthenticated'},
    'namespace delete': {alice: 'ok', bob: 'denied', carol: 'denied', dave: 'denied', paul: 'denied', nobody: 'unauthenticated'},
    'backend delete': {alice: 'ok', bob: 'denied', carol: 'denied', dave: 'denied', paul: 'denied', nobody: 'unauthenticated'},
  }

  function commandFor(action: string, user: string): string[] {
    switch (action) {
      case 'list':
        return ['namespace', 'list']
      case 'get':
        return ['namespace', 'get', 'existing', '-o', 'yaml']
      case 'whoami':
        return ['whoami', '-o', 'json']
      case 'apply': {
        const file = join(dirs[user]!, 'ns.yaml')
        writeFileSync(file, readFileSync(join(serverDir, 'existing.yaml'), 'utf8').replace('name: existing', `name: applied-by-${user}`))
        return ['namespace', 'apply', '-f', file]
      }
      case 'register':
        return ['backend', 'register', `registered-by-${user}`, '--type', 'memstore']
      case 'namespace delete':
        return ['namespace', 'delete', `doomed-${user}`, '--yes']
      default:
        return ['backend', 'delete', `doomed-${user}`, '--yes', '--force']
    }
  }

  for (const user of ['alice', 'bob', 'carol', 'dave', 'paul', 'nobody']) {
    it(`${user} (${ROLE_OF[user]})`, async () => {
      const env = {PRISM_CONFIG_DIR: dirs[user]!, PRISM_ADMIN_ENDPOINT: endpoint}
      const actual: Record<string, Outcome | string> = {}
      const expected: Record<string, Outcome> = {}
      for (const action of Object.keys(EXPECTED)) {
        expected[action] = EXPECTED[action]![user]!
        const r = await cli(commandFor(action, user), env)
        if (action === 'whoami' && r.code === 0) {
          // whoami reports a refusal instead of failing: the token itself is fine.
          const cp = JSON.parse(r.stdout).controlPlane
          actual[action] = cp.roles ? 'ok' : /permission denied/.test(cp.error) ? 'denied' : `whoami: ${cp.error}`
          if (cp.roles && user !== 'dave') expect(cp.roles).toContain(ROLE_OF[user])
          continue
        }
        if (r.code === 0) actual[action] = 'ok'
        else if (/permission denied/.test(r.stderr)) actual[action] = 'denied'
        else if (/not authenticated to the control plane|not logged in/.test(r.stderr)) actual[action] = 'unauthenticated'
        else actual[action] = `exit ${r.code}: ${r.stderr.trim()}`
      }
      expected.audit = user === 'alice' ? 'ok' : user === 'nobody' ? 'unauthenticated' : 'denied'
      const audit = await cli(['audit', 'list', '--limit', '5', '-o', 'json'], env)
      if (audit.code === 0) actual.audit = JSON.parse(audit.stdout).events.length > 0 ? 'ok' : 'empty audit log'
      else if (/permission denied/.test(audit.stderr)) actual.audit = 'denied'
      else if (/not authenticated to the control plane|not logged in/.test(audit.stderr)) actual.audit = 'unauthenticated'
      else actual.audit = `exit ${audit.code}: ${audit.stderr.trim()}`
      expect(actual).toEqual(expected)
    })
  }
})
