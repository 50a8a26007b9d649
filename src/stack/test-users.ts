/**
 * The dev stack's test users, one per role, with fixed passwords that are documented (README, end screen): they
 * exist only in a local issuer on 127.0.0.1. Groups map to roles through the control plane's default role map.
 */
export interface TestUser {
  username: string
  email: string
  password: string
  userID: string
  /** The one group that gives the role. */
  group: string
  role: 'admin' | 'operator' | 'viewer' | 'proxy'
}

export const TEST_USERS: readonly TestUser[] = [
  {username: 'admin', email: 'admin@local.prism', password: 'prism-admin', userID: '4e0c1f3a-2b7d-4c55-9a61-0a0d6f3b1a01', group: 'admins', role: 'admin'},
  {username: 'operator', email: 'operator@local.prism', password: 'prism-operator', userID: '4e0c1f3a-2b7d-4c55-9a61-0a0d6f3b1a02', group: 'platform-team', role: 'operator'},
  {username: 'viewer', email: 'viewer@local.prism', password: 'prism-viewer', userID: '4e0c1f3a-2b7d-4c55-9a61-0a0d6f3b1a03', group: 'viewers', role: 'viewer'},
  // The proxy's own identity: it logs in with the password grant and refreshes unattended.
  {username: 'proxy', email: 'proxy@local.prism', password: 'prism-proxy', userID: '4e0c1f3a-2b7d-4c55-9a61-0a0d6f3b1a04', group: 'proxies', role: 'proxy'},
]

export function testUser(role: TestUser['role']): TestUser {
  return TEST_USERS.find((u) => u.role === role)!
}

/** The control plane's role map for these groups (the same as its built-in default). */
export const DEV_ROLE_MAP = TEST_USERS.map((u) => `${u.group}=${u.role}`).join(',')
