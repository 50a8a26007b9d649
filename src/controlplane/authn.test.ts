import {describe, expect, it} from 'vitest'

import {hasRole, requireRole, type Principal, type Role} from './authn.js'

const as = (...roles: Role[]): Principal => ({name: 'p@example.test', subject: 'p', groups: [], roles})

describe('roles', () => {
  it('ranks viewer < operator < admin', () => {
    expect(hasRole(as('admin'), 'viewer')).toBe(true)
    expect(hasRole(as('operator'), 'operator')).toBe(true)
    expect(hasRole(as('operator'), 'admin')).toBe(false)
  })

  it('lets proxy read like a viewer and nothing more; no other role implies proxy', () => {
    expect(hasRole(as('proxy'), 'viewer')).toBe(true)
    expect(hasRole(as('proxy'), 'operator')).toBe(false)
    expect(hasRole(as('proxy'), 'admin')).toBe(false)
    expect(hasRole(as('proxy'), 'proxy')).toBe(true)
    for (const role of ['viewer', 'operator', 'admin'] as const) expect(hasRole(as(role), 'proxy')).toBe(false)
    expect(() => requireRole(as('admin'), 'proxy', 'RenewProxyLease')).toThrow('RenewProxyLease needs the proxy role; p@example.test has admin')
  })
})
