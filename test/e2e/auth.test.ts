/**
 * Login, tokens and JWT verification against a real OIDC provider on 127.0.0.1 (test/helpers/oidc-provider.ts).
 * Flow logic runs in-process; the CLI is spawned where the CLI itself is under test (device login, Ctrl-C,
 * password from stdin, --debug output, two processes refreshing at once, token file permissions).
 */
import {spawn} from 'node:child_process'
import {chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {login, logout} from '../../src/auth/login.js'
import {decodeJwt} from '../../src/auth/jwt-claims.js'
import {discover} from '../../src/auth/oidc.js'
import {getBearer} from '../../src/auth/session.js'
import {readTokens, type StoredTokens, tokenPath, writeTokens} from '../../src/auth/token-store.js'
import {resolveContext} from '../../src/config/contexts.js'
import {createJwtAuthenticator} from '../../src/jwt/verifier.js'
import {CI_CLIENT, CLIENT_ID, startTestProvider, type TestProvider, USERS} from '../helpers/oidc-provider.js'

const RUN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Spawns the built CLI; `onStderr` sees stderr as it arrives (the device code is printed there). */
function cli(args: string[], env: NodeJS.ProcessEnv, options: {stdin?: string; onStderr?: (text: string, child: ReturnType<typeof spawn>) => void} = {}): Promise<CliResult> {
  const childEnv: NodeJS.ProcessEnv = {...process.env, ...env, NO_COLOR: '1'}
  delete childEnv.NODE_EXTRA_CA_CERTS
  for (const k of ['PRISM_TOKEN', 'PRISM_CONTEXT', 'PRISM_ISSUER', 'PRISM_CLIENT_ID', 'PRISM_CLIENT_SECRET']) if (!(k in env)) delete childEnv[k]
  const child = spawn(process.execPath, [RUN, ...args], {env: childEnv, stdio: ['pipe', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
    options.onStderr?.(stderr, child)
  })
  child.stdin.end(options.stdin ?? '')
  return new Promise((resolve) => child.on('close', (code) => resolve({code, stdout, stderr})))
}

let dir: string
let env: NodeJS.ProcessEnv

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'prism-auth-'))
  env = {PRISM_CONFIG_DIR: dir}
})

afterEach(() => rmSync(dir, {recursive: true, force: true}))

const ctxFor = (issuer: string, clientId = CLIENT_ID) => resolveContext({issuer, clientId}, env)
const quiet = () => undefined

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
