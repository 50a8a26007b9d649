import {chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {deleteTokens, hasTokens, readTokens, storedContexts, type StoredTokens, tokenPath, writeTokens} from './token-store.js'

let env: NodeJS.ProcessEnv
beforeEach(() => {
  env = {PRISM_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'prism-tokens-'))}
})
afterEach(() => rmSync(env.PRISM_CONFIG_DIR!, {recursive: true, force: true}))

const tokens: StoredTokens = {version: 1, issuer: 'http://127.0.0.1:1', clientId: 'prismctl', grant: 'password', bearer: 'b', accessToken: 'a', obtainedAt: new Date(0).toISOString()}

describe('token store', () => {
  it('writes 0600 files in a 0700 directory and reads them back', () => {
    const path = writeTokens('dev', tokens, env)
    expect(path).toBe(join(env.PRISM_CONFIG_DIR!, 'tokens', 'dev.json'))
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(statSync(join(env.PRISM_CONFIG_DIR!, 'tokens')).mode & 0o777).toBe(0o700)
    expect(readTokens('dev', env)).toEqual(tokens)
    expect(storedContexts(env)).toEqual(['dev'])
  })

  it('tightens a token directory that others can read', () => {
    const dir = join(env.PRISM_CONFIG_DIR!, 'tokens')
    writeTokens('dev', tokens, env)
    chmodSync(dir, 0o755)
    writeTokens('dev', tokens, env)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
  })

  it('refuses a file group or others can read, with the chmod that fixes it', () => {
    const path = writeTokens('dev', tokens, env)
    for (const mode of [0o640, 0o604]) {
      chmodSync(path, mode)
      expect(() => readTokens('dev', env)).toThrow(expect.objectContaining({code: 'FAILED_PRECONDITION', hint: expect.stringContaining(`chmod 600 ${path}`)}))
    }
  })

  it('reports a corrupt file and names the login command', () => {
    const path = writeTokens('dev', tokens, env)
    writeFileSync(path, '{not json', {mode: 0o600})
    expect(() => readTokens('dev', env)).toThrow(expect.objectContaining({message: `the token file ${path} is corrupt`, hint: 'Log in again: prismctl login --context dev'}))
  })

  it('returns undefined without a login, deletes, and rejects context names that are not file names', () => {
    expect(readTokens('none', env)).toBeUndefined()
    writeTokens('dev', tokens, env)
    expect(deleteTokens('dev', env)).toBe(true)
    expect(deleteTokens('dev', env)).toBe(false)
    expect(() => tokenPath('../etc/passwd', env)).toThrow(/cannot be used as a file name/)
  })

  it('refuses a tokens directory that others can write, or that is a link, without touching its target', () => {
    const dir = join(env.PRISM_CONFIG_DIR!, 'tokens')
    writeTokens('dev', tokens, env)
    chmodSync(dir, 0o770)
    const refusal = expect.objectContaining({code: 'FAILED_PRECONDITION', hint: expect.stringContaining(`chmod go-w ${dir}`)})
    expect(() => readTokens('dev', env)).toThrow(refusal)
    expect(() => writeTokens('dev', tokens, env)).toThrow(refusal)
    expect(() => storedContexts(env)).toThrow(refusal)

    const target = mkdtempSync(join(tmpdir(), 'prism-tokens-target-'))
    try {
      chmodSync(target, 0o755)
      rmSync(dir, {recursive: true})
      symlinkSync(target, dir)
      const linked = expect.objectContaining({message: `refusing to use the tokens directory ${dir}: it is a symbolic link`})
      expect(() => readTokens('dev', env)).toThrow(linked)
      expect(() => writeTokens('dev', tokens, env)).toThrow(linked)
      expect(() => hasTokens('dev', env)).toThrow(linked)
      expect(statSync(target).mode & 0o777).toBe(0o755)
    } finally {
      rmSync(target, {recursive: true, force: true})
    }
  })

  it('never follows a link for a token file, and refuses what is not a regular file', () => {
    const path = writeTokens('dev', tokens, env)
    const target = join(env.PRISM_CONFIG_DIR!, 'target.json')
    writeFileSync(target, JSON.stringify(tokens), {mode: 0o600})
    rmSync(path)
    symlinkSync(target, path)
    expect(hasTokens('dev', env)).toBe(true)
    expect(() => readTokens('dev', env)).toThrow(expect.objectContaining({message: `refusing to use the token file ${path}: it is a symbolic link`}))
    rmSync(path)
    mkdirSync(path)
    expect(() => readTokens('dev', env)).toThrow(/it is not a regular file/)
  })
})
