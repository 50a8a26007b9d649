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
  /**
   * devPasswordHash(this user), written down: bcrypt at cost 10 in pure JavaScript is 0.1-0.2 s per user here, which
   * every dev up paid to render the same four hashes (src/stack/dex-config.test.ts checks that they still match).
   */
  passwordHash?: string
}

export const TEST_USERS: readonly TestUser[] = [
  {username: 'admin', email: 'admin@local.prism', password: 'prism-admin', userID: '4e0c1f3a-2b7d-4c55-9a61-0a0d6f3b1a01', group: 'admins', role: 'admin', passwordHash: '$2a$10$6F4Cgx4sYH4FRotMq4kbEORks9Tcm0BAerIAnW3Tae6M/DteBUKlu'},
  {username: 'operator', email: 'operator@local.prism', password: 'prism-operator', userID: '4e0c1f3a-2b7d-4c55-9a61-0a0d6f3b1a02', group: 'platform-team', role: 'operator', passwordHash: '$2a$10$MpHCsbjC5BXBB2.PdnPf8uyCDFzk6VZI79egqtyBx1v2YD4w/L3.y'},
  {username: 'viewer', email: 'viewer@local.prism', password: 'prism-viewer', userID: '4e0c1f3a-2b7d-4c55-9a61-0a0d6f3b1a03', group: 'viewers', role: 'viewer', passwordHash: '$2a$10$nLU4Rvmy/yZ3qmEad45oBOR71gnWvlRGa2hduRFeCQ0KyogCZjQte'},
  // The proxy's own identity: it logs in with the password grant and refreshes unattended.
  {username: 'proxy', email: 'proxy@local.prism', password: 'prism-proxy', userID: '4e0c1f3a-2b7d-4c55-9a61-0a0d6f3b1a04', group: 'proxies', role: 'proxy', passwordHash: '$2a$10$aFb6oKU0AeEgY0pU24sF6eQMsHqLMiLAbvHC9bRFmW3tUm0oLtf0y'},
]

export function testUser(role: TestUser['role']): TestUser {
  return TEST_USERS.find((u) => u.role === role)!
}

/** The control plane's role map for these groups (the same as its built-in default). */
export const DEV_ROLE_MAP = TEST_USERS.map((u) => `${u.group}=${u.role}`).join(',')
