import {describe, expect, it} from 'vitest'

import {checkIssuerUrl, isLoopbackHost, oauthError} from './oidc.js'

describe('issuer URL rules', () => {
  it('knows the loopback hosts', () => {
    for (const h of ['localhost', '127.0.0.1', '127.8.9.10', '[::1]', '::1']) expect(isLoopbackHost(h)).toBe(true)
    for (const h of ['dex', '10.0.0.1', '128.0.0.1', 'localhost.evil.example', '127.0.0.1.nip.io']) expect(isLoopbackHost(h)).toBe(false)
  })

  it('allows https anywhere and http only on loopback unless --insecure', () => {
    expect(checkIssuerUrl('https://login.example.com/realms/x').href).toBe('https://login.example.com/realms/x')
    expect(checkIssuerUrl('http://localhost:5556/dex').hostname).toBe('localhost')
    expect(() => checkIssuerUrl('http://dex:5556/dex')).toThrow(expect.objectContaining({exitCode: 2, message: 'refusing plain http:// for the non-loopback issuer http://dex:5556/dex'}))
    expect(checkIssuerUrl('http://dex:5556/dex', true).hostname).toBe('dex')
    expect(() => checkIssuerUrl('ftp://x')).toThrow(/must be an http\(s\) URL/)
    expect(() => checkIssuerUrl('not a url')).toThrow(/is not a URL/)
  })
})

describe('oauthError', () => {
  it('reads the error from the body or from a WWW-Authenticate challenge', () => {
    expect(oauthError({error: 'invalid_grant', error_description: 'gone'})).toEqual({error: 'invalid_grant', error_description: 'gone'})
    expect(oauthError({cause: [{scheme: 'basic', parameters: {error: 'invalid_client'}}]})).toEqual({error: 'invalid_client', error_description: undefined})
    expect(oauthError(new Error('x'))).toEqual({})
  })
})
