import {readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {tempDir} from '../../test/helpers/cli.js'
import {loadOrCreateSigningKey, readSigningKey} from './signing-key.js'

describe("the development issuer's signing key", () => {
  it('is made once, written 0600, and the same key is read back afterwards', async () => {
    const path = join(tempDir('prismctl-key-'), 'dev', 'issuer-signing-key.json')
    const made = await loadOrCreateSigningKey(path)
    expect(made).toMatchObject({kty: 'RSA', alg: 'RS256', use: 'sig'})
    expect(made.d.length).toBeGreaterThan(300)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(await loadOrCreateSigningKey(path)).toEqual(made)
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(made)
  })

  it('signs tokens that its public half verifies', async () => {
    const jose = await import('jose')
    const key = await loadOrCreateSigningKey(join(tempDir('prismctl-key-'), 'k.json'))
    const jwt = await new jose.SignJWT({sub: 'a'}).setProtectedHeader({alg: 'RS256', kid: key.kid}).sign(await jose.importJWK(key, 'RS256'))
    const {d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub} = key
    expect((await jose.jwtVerify(jwt, await jose.importJWK(pub, 'RS256'))).payload.sub).toBe('a')
  })

  it('refuses a file that is not an RS256 private key, naming it and what to do', () => {
    const path = join(tempDir('prismctl-key-'), 'k.json')
    writeFileSync(path, JSON.stringify({kty: 'RSA', alg: 'RS256', kid: 'x', n: 'n', e: 'AQAB'}))
    expect(() => readSigningKey(path)).toThrow(`${path} is not an RS256 private key`)
    writeFileSync(path, '{not json')
    expect(() => readSigningKey(path)).toThrow(/cannot read the issuer's signing key .*k\.json/)
    // JSON.parse quotes the text around a mistake: here, a piece of the private key.
    writeFileSync(path, '{"kty":"RSA","d":SECRETKEYMATERIAL"}')
    expect(() => readSigningKey(path)).toThrow(`cannot read the issuer's signing key ${path}: it is not valid JSON`)
  })
})
