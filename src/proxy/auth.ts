/**
 * Who may call a namespace through the proxy. With auth on, every call carries a valid token (verified like the
 * control plane does); a namespace's `auth.allowedGroups` narrows that to callers in one of those groups. Under
 * `--auth none` every caller is the anonymous principal and policies are not enforced (the server says so at start).
 */
import type {Authenticator, Principal} from '../controlplane/authn.js'
import {PrismError} from '../errors.js'
import type {Route} from './routing.js'

/** Throws PERMISSION_DENIED unless the (already authenticated) caller may use the namespace. */
export function checkPolicy(authenticator: Authenticator, principal: Principal, route: Route): void {
  if (!authenticator.enabled) return
  const allowed = route.auth?.allowedGroups ?? []
  if (allowed.length > 0 && !principal.groups.some((g) => allowed.includes(g))) {
    throw new PrismError(`${principal.name} may not use namespace ${route.namespace}: it admits members of ${allowed.join(', ')} only`, {
      code: 'PERMISSION_DENIED',
      hint: 'Ask the namespace owner to add one of your groups to its auth.allowedGroups.',
    })
  }
}
