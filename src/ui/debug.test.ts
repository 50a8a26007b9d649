import {describe, expect, it} from 'vitest'

import {redact} from './debug.js'

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

  it('leaves ordinary text alone', () => {
    expect(redact('namespace team-alpha created')).toBe('namespace team-alpha created')
    expect(redact('unauthenticated: no bearer token was sent')).toBe('unauthenticated: no bearer token was sent')
    expect(redact('Bearer token: abc123')).toBe('Bearer token: [REDACTED]')
  })
})
