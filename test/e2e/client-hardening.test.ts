/**
 * The CLI under hostile local input (issue 10, items 5 and 7): an oversized bearer, and configuration or token
 * files that someone else could have written or linked. The built CLI against a real control plane on 127.0.0.1.
 * The tests run as root here, so "others can write" is set up with mode bits, which is what the CLI judges by.
 */
import {rmSync} from 'node:fs'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {type StoredTokens, writeTokens} from '../../src/auth/token-store.js'
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
