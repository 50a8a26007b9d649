import {describe, expect, it} from 'vitest'

import {redact, redactJson, redactKnown, showableUrl, urlPasswords} from './debug.js'

describe('redact', () => {
  it('masks JWTs, bearer headers and secret fields', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlc2lnbmF0dXJl'
    const out = redact(`authorization: Bearer abc123 id=${jwt} {"password":"hunter2","refresh_token":"r-1"} client_secret=s3cr3t`)
    expect(out).not.toContain('abc123')
    expect(out).not.toContain(jwt)
    expect(out).not.toContain('hunter2')
    expect(out).not.toContain('r-1')
    expect(out).not.toContain('s3cr3t')
    expect(out).toContain('[REDACTED]')
  })

  it('masks the password of a URL, keeping the user and host', () => {
    expect(redact('postgres://prism:pg-s3cret@db:5432/prism')).toBe('postgres://prism:[REDACTED]@db:5432/prism')
    expect(redact('postgres://prism@db/prism')).toBe('postgres://prism@db/prism')
  })

  it('masks a URL password with an "@" in it whole; where the URL is known, any password', () => {
    expect(redact('postgres://prism:PW@SECRET@127.0.0.1:1/db')).toBe('postgres://prism:[REDACTED]@127.0.0.1:1/db')
    for (const url of ['postgres://prism:PW@SECRET_B@127.0.0.1:1/db', 'postgres://prism:PW SECRET_F@127.0.0.1:1/db', 'postgres://prism:PW"SECRET_G@127.0.0.1:1/db', 'postgres://prism:PW/SECRET_C@127.0.0.1:1/db', 'postgres://prism:PW%2FSECRET_D@h/db']) {
      const secrets = urlPasswords(url)
      const message = `connect to ${url} failed; password ${decodeURIComponent(url.slice(16, url.lastIndexOf('@')))} refused`
      expect(redactKnown(message, secrets), url).not.toMatch(/SECRET/)
      expect(redactKnown(url, secrets), url).toBe(`postgres://prism:[REDACTED]@${url.slice(url.lastIndexOf('@') + 1)}`)
      expect(showableUrl(url), url).toBe(`postgres://prism:[REDACTED]@${url.slice(url.lastIndexOf('@') + 1)}`)
    }
    expect(urlPasswords('postgres://prism@db/prism')).toEqual([])
    expect(urlPasswords('sqlite:///tmp/x.db')).toEqual([])
    expect(urlPasswords('postgres://u:@db/prism')).toEqual([])
  })

  it('a short known secret is hidden where it stands alone, not in every word that contains it', () => {
    const url = 'postgres://u:p@127.0.0.1:1/prism'
    expect(showableUrl(url)).toBe('postgres://u:[REDACTED]@127.0.0.1:1/prism')
    expect(redactKnown('connect to postgres failed: password "p" rejected (p)', urlPasswords(url))).toBe('connect to postgres failed: password "[REDACTED]" rejected ([REDACTED])')
    expect(redactKnown('a.b failed for a.b', ['a.b'])).toBe('[REDACTED] failed for [REDACTED]')
    // Eight characters or more: every occurrence, also inside a word.
    expect(redactKnown('xhunter22y', ['hunter22'])).toBe('x[REDACTED]y')
  })

  it('leaves ordinary text alone', () => {
    expect(redact('namespace team-alpha created')).toBe('namespace team-alpha created')
    expect(redact('unauthenticated: no bearer token was sent')).toBe('unauthenticated: no bearer token was sent')
    expect(redact('unauthenticated: the bearer is not a valid signed JWT')).toBe('unauthenticated: the bearer is not a valid signed JWT')
    expect(redact('authorization: Bearer isx9 and bearer tokenish')).toBe('authorization: Bearer [REDACTED] and bearer [REDACTED]')
    // A small word is a word only where it ends: "or-9f8e…" and "token-3f9a…" are credentials.
    expect(redact('Bearer or-9f8e7d6c5b4a, Bearer in.xyz123, Bearer token-3f9a8b7c')).toBe('Bearer [REDACTED], Bearer [REDACTED], Bearer [REDACTED]')
  })

  it('finds secrets by location, never by words: messages keep their words', () => {
    // The messages the redactor used to mangle (issue 10).
    expect(redact('credentials.password: unknown field "password" in Credentials')).toBe('credentials.password: unknown field "password" in Credentials')
    expect(redact('token: expected a string, got a mapping')).toBe('token: expected a string, got a mapping')
    expect(redact('the password is empty; secret values are never shown')).toBe('the password is empty; secret values are never shown')
  })

  it('masks a secret JSON value of any type, and form parameters', () => {
    const out = redact('{"password": 98765432101234, "token": true, "secret": {"k": "v-123"}, "client_secret": ["a-1"], "user": "svc"}')
    for (const value of ['98765432101234', 'true', 'v-123', 'a-1']) expect(out).not.toContain(value)
    expect(out).toContain('"user": "svc"')
    expect(redact('POST /token grant_type=refresh_token&refresh_token=r-77&client_id=prismctl')).toBe('POST /token grant_type=refresh_token&refresh_token=[REDACTED]&client_id=prismctl')
  })
})

describe('redactJson', () => {
  it('replaces the value of a secret key whatever its type and redacts every string', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlc2lnbmF0dXJl'
    expect(redactJson({password: 98765432101234, nested: [{token: {deep: {er: 'x'}}, note: `sent ${jwt}`}], message: 'field "password" in Credentials'})).toEqual({
      password: '[REDACTED]',
      nested: [{token: '[REDACTED]', note: 'sent [REDACTED-JWT]'}],
      message: 'field "password" in Credentials',
    })
  })
})
