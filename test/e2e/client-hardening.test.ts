/**
 * The CLI under hostile local input (issue 10, items 5 and 7): an oversized bearer, and configuration or token
 * files that someone else could have written or linked. The built CLI against a real control plane on 127.0.0.1.
 * The tests run as root here, so "others can write" is set up with mode bits, which is what the CLI judges by.
 */
import {chmodSync, mkdirSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {type StoredTokens, tokenPath, writeTokens} from '../../src/auth/token-store.js'
import {startAdminServer, type AdminServer} from '../helpers/admin-server.js'
import {runCli, tempDir} from '../helpers/cli.js'

/** Bounds every spawn: a CLI that hangs is killed and fails on its exit code instead of stalling the run. */
const BOUND_MS = 15_000

let dir: string
beforeEach(() => {
  dir = tempDir('prism-hardening-')
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

const storedTokens = (bearer: string): StoredTokens => ({
  version: 1,
  issuer: 'http://127.0.0.1:9/dex',
  clientId: 'prismctl',
  grant: 'password',
  bearer,
  accessToken: 'opaque',
  expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
  obtainedAt: new Date().toISOString(),
})

describe('an oversized bearer', () => {
  let server: AdminServer
  beforeAll(async () => {
    server = await startAdminServer()
  })
  afterAll(() => server?.stop())

  // Linux caps one environment string at 128 KiB (MAX_ARG_STRLEN), so PRISM_TOKEN cannot be 200 KB; a stored
  // token can, and both are refused the same way.
  it('from PRISM_TOKEN (120 KB) is refused before anything is sent, and the CLI exits promptly', async () => {
    const result = await runCli(['namespace', 'list'], {configDir: dir, env: {PRISM_TOKEN: 'x'.repeat(120_000), PRISM_ADMIN_ENDPOINT: server.endpoint}, timeoutMs: BOUND_MS})
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toContain('Error: the bearer token from PRISM_TOKEN is 120000 bytes; prismctl sends at most 16384 bytes (16 KiB)')
    expect(result.stderr).toContain('Hint: PRISM_TOKEN should hold one token')
  })

  it('from the stored login (200 KB) is refused the same way, naming the login command', async () => {
    writeTokens('default', storedTokens('y'.repeat(200_000)), {PRISM_CONFIG_DIR: dir})
    const result = await runCli(['namespace', 'list'], {configDir: dir, env: {PRISM_ADMIN_ENDPOINT: server.endpoint}, timeoutMs: BOUND_MS})
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toContain('Error: the bearer token from the stored login of context "default" is 200000 bytes; prismctl sends at most 16384 bytes (16 KiB)')
    expect(result.stderr).toContain('Hint: Log in again: prismctl login --context default')
  })

  it('a token at the limit is still sent (the server, with --auth none, answers)', async () => {
    const result = await runCli(['namespace', 'list', '-o', 'json'], {configDir: dir, env: {PRISM_TOKEN: 'z'.repeat(16 * 1024), PRISM_ADMIN_ENDPOINT: server.endpoint}, timeoutMs: BOUND_MS})
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout)).toBeTruthy()
  })
})

describe('configuration files others could have written', () => {
  it('refuses a group-writable config.yaml, naming the chmod that fixes it, and sends nothing', async () => {
    const path = join(dir, 'config.yaml')
    writeFileSync(path, 'currentContext: default\ncontexts:\n  default:\n    adminEndpoint: 127.0.0.1:9\n', {mode: 0o600})
    chmodSync(path, 0o620)
    const result = await runCli(['namespace', 'list'], {configDir: dir, env: {PRISM_TOKEN: 'secret-bearer'}, timeoutMs: BOUND_MS})
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toContain(`Error: refusing to use the configuration file ${path}: other users can write it (mode 0620)`)
    expect(result.stderr).toContain(`Hint: Fix it with: chmod go-w ${path}`)
    chmodSync(path, 0o600)
    const fixed = await runCli(['context', 'current'], {configDir: dir, timeoutMs: BOUND_MS})
    expect(fixed.code, fixed.stderr).toBe(0)
  })

  it('refuses a configuration directory that others can write', async () => {
    chmodSync(dir, 0o703)
    const result = await runCli(['context', 'list'], {configDir: dir, timeoutMs: BOUND_MS})
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toContain(`Error: refusing to use the configuration directory ${dir}: other users can write it (mode 0703)`)
    expect(result.stderr).toContain(`chmod go-w ${dir}`)
  })

  it('refuses a tokens directory that is a symbolic link, and leaves its target alone', async () => {
    const target = tempDir('prism-hardening-target-')
    try {
      writeTokens('default', storedTokens('planted'), {PRISM_CONFIG_DIR: target})
      chmodSync(join(target, 'tokens'), 0o755)
      symlinkSync(join(target, 'tokens'), join(dir, 'tokens'))
      const read = await runCli(['auth', 'token'], {configDir: dir, timeoutMs: BOUND_MS})
      expect(read.code, read.stderr).toBe(1)
      expect(read.stdout).toBe('')
      expect(read.stderr).toContain(`Error: refusing to use the tokens directory ${join(dir, 'tokens')}: it is a symbolic link`)
      const logout = await runCli(['logout', '--all'], {configDir: dir, timeoutMs: BOUND_MS})
      expect(logout.code, logout.stderr).toBe(1)
      expect(logout.stderr).toContain('it is a symbolic link')
      // Refused before the issuer is asked anything (there is none at 127.0.0.1:9), and nothing written through the link.
      const login = await runCli(['login', '--issuer', 'http://127.0.0.1:9/dex', '--username', 'u', '--password-stdin'], {configDir: dir, input: 'pw\n', timeoutMs: BOUND_MS})
      expect(login.code, login.stderr).toBe(1)
      expect(login.stderr).toContain('it is a symbolic link')
      expect(statSync(join(target, 'tokens', 'default.json')).isFile()).toBe(true)
      expect(statSync(join(target, 'tokens')).mode & 0o777).toBe(0o755)
    } finally {
      rmSync(target, {recursive: true, force: true})
    }
  })

  it('refuses a token file that is a symbolic link; --debug shows none of its target', async () => {
    const target = join(dir, 'elsewhere.txt')
    writeFileSync(target, 'TARGET-BYTES-0123456789 not json at all', {mode: 0o600})
    mkdirSync(join(dir, 'tokens'), {mode: 0o700})
    symlinkSync(target, tokenPath('default', {PRISM_CONFIG_DIR: dir}))
    const result = await runCli(['auth', 'token', '--debug'], {configDir: dir, timeoutMs: BOUND_MS})
    expect(result.code, result.stderr).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain(`Error: refusing to use the token file ${tokenPath('default', {PRISM_CONFIG_DIR: dir})}: it is a symbolic link`)
    expect(result.stderr).not.toContain('TARGET')
  })

  it('--debug does not quote a corrupt token file', async () => {
    mkdirSync(join(dir, 'tokens'), {mode: 0o700})
    writeFileSync(tokenPath('default', {PRISM_CONFIG_DIR: dir}), 'CORRUPT-BYTES-0123456789', {mode: 0o600})
    const result = await runCli(['auth', 'token', '--debug'], {configDir: dir, timeoutMs: BOUND_MS})
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toContain('is corrupt')
    // JSON.parse's message quotes the first 10 characters ("CORRUPT-BY"...).
    expect(result.stderr).not.toContain('CORRUPT')
  })
})
