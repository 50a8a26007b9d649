/**
 * Group → role mapping for the control plane and proxy. The map is configuration (`--role-map`), so a site can
 * reuse the groups its identity provider already has.
 */
import {usageError} from '../errors.js'
import {ROLES, type Role} from '../controlplane/authn.js'

export type RoleMap = Record<string, Role>

export const DEFAULT_ROLE_MAP: RoleMap = {admins: 'admin', 'platform-team': 'operator', viewers: 'viewer', proxies: 'proxy'}

/** Parses `admins=admin,platform-team=operator,viewers=viewer`. */
export function parseRoleMap(text: string): RoleMap {
  const map: RoleMap = {}
  for (const entry of text.split(',').map((e) => e.trim()).filter(Boolean)) {
    const eq = entry.lastIndexOf('=')
    const group = entry.slice(0, eq).trim()
    const role = entry.slice(eq + 1).trim() as Role
    if (eq <= 0 || !group || !ROLES.includes(role)) {
      throw usageError(`invalid role mapping "${entry}"`, `Use GROUP=ROLE pairs separated by commas, ROLE one of ${ROLES.join(', ')}; e.g. admins=admin,platform-team=operator,proxies=proxy`)
    }
    map[group] = role
  }
  if (Object.keys(map).length === 0) throw usageError('the role map is empty', 'e.g. --role-map admins=admin,platform-team=operator,viewers=viewer')
  return map
}

/** A user gets the union of the roles of all their groups, in the order of ROLES. */
export function rolesForGroups(groups: readonly string[], map: RoleMap): Role[] {
  const granted = new Set(groups.map((g) => map[g]).filter((r): r is Role => r !== undefined))
  return ROLES.filter((r) => granted.has(r))
}
