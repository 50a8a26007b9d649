import {describe, expect, it} from 'vitest'

import {DEFAULT_ROLE_MAP, parseRoleMap, rolesForGroups} from './roles.js'

describe('role map', () => {
  it('parses GROUP=ROLE pairs', () => {
    expect(parseRoleMap('admins=admin, platform-team=operator,viewers=viewer,proxies=proxy')).toEqual(DEFAULT_ROLE_MAP)
  })

  it('rejects unknown roles and malformed entries with a usage error', () => {
    expect(() => parseRoleMap('admins=root')).toThrow(/invalid role mapping "admins=root"/)
    expect(() => parseRoleMap('admins')).toThrow(/invalid role mapping/)
    expect(() => parseRoleMap(' , ')).toThrow(/empty/)
  })

  it('grants the union of the groups roles, ignoring unmapped groups', () => {
    expect(rolesForGroups(['viewers', 'admins', 'devs'], DEFAULT_ROLE_MAP)).toEqual(['viewer', 'admin'])
    expect(rolesForGroups(['devs'], DEFAULT_ROLE_MAP)).toEqual([])
    expect(rolesForGroups(['proxies', 'viewers'], DEFAULT_ROLE_MAP)).toEqual(['viewer', 'proxy'])
  })
})
