/**
 * A bearer for a process of ours that logs in on its own (`proxy serve --login`, the dev stack's bootstrap): the
 * password grant, then the refresh token before expiry, and the password grant again when refreshing fails. The
 * channel asks for a token only when the last one nears expiry (src/api/channel.ts), so this runs unattended.
 */
import type {BearerLookup} from '../api/channel.js'
import type {Issuer} from './oidc.js'
import {REFRESH_MARGIN_SEC} from './session.js'
import type {StoredTokens} from './token-store.js'
import {DEFAULTS} from '../config/contexts.js'

export interface ServiceLogin {
  issuer: string
  email: string
  password: string
  /** Where to reach the issuer when not at its own URL (see IssuerSettings.reachAt). */
  reachAt?: string
  log?: (line: string) => void
}

export function passwordBearer(login: ServiceLogin): BearerLookup {
  let oidc: Issuer | undefined
  let tokens: StoredTokens | undefined
  let renewing: Promise<string> | undefined

  async function renew(): Promise<string> {
    const {discover, passwordLogin, refresh} = await import('../auth/oidc.js')
    oidc ??= await discover({issuer: login.issuer, clientId: DEFAULTS.clientId, ...(login.reachAt ? {reachAt: login.reachAt} : {})})
    if (tokens?.refreshToken) {
      try {
        tokens = await refresh(oidc, tokens)
        return tokens.bearer
      } catch (err) {
        login.log?.(`refreshing the token of ${login.email} failed (${(err as Error).message}); logging in again`)
      }
    }
    tokens = await passwordLogin(oidc, DEFAULTS.scopes, login.email, login.password)
    return tokens.bearer
  }

  return async () => {
    const left = tokens?.expiresAt ? (Date.parse(tokens.expiresAt) - Date.now()) / 1000 : 0
    if (tokens && left > REFRESH_MARGIN_SEC) return tokens.bearer
    renewing ??= renew().finally(() => (renewing = undefined))
    return renewing
  }
}
