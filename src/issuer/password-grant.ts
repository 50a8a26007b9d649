/**
 * The OAuth 2.0 resource owner password grant on oidc-provider (which has none built in), shaped like Dex's: the
 * `username` form field names the account, and the response carries an ID token with the account's claims.
 */
import type {Provider} from 'oidc-provider'

export interface PasswordAccount {
  accountId: string
  /** Claims for the ID token (sub, email, groups, …). */
  claims: Record<string, unknown>
}

export interface PasswordGrantOptions {
  /** The account for these credentials, or undefined when they are wrong. */
  verify(username: string, password: string): Promise<PasswordAccount | undefined>
  invalidGrant: new (description: string) => Error
  /** Whether this scope earns a refresh token (Dex: only with offline_access). Default: always. */
  refreshTokenFor?: (scope: string) => boolean
}

export function registerPasswordGrant(provider: Provider, options: PasswordGrantOptions): void {
  provider.registerGrantType(
    'password',
    async (ctx) => {
      const {username = '', password = '', scope = 'openid'} = ctx.oidc.params as {username?: string; password?: string; scope?: string}
      const account = await options.verify(username, password)
      if (!account) throw new options.invalidGrant('invalid username or password')
      const client = ctx.oidc.client
      const grant = new provider.Grant({accountId: account.accountId, clientId: client.clientId})
      grant.addOIDCScope(scope)
      grant.addOIDCClaims(Object.keys(account.claims))
      const grantId = await grant.save()
      const at = new provider.AccessToken({accountId: account.accountId, client, grantId, gty: 'password', scope})
      const accessToken = await at.save()
      let refreshToken: string | undefined
      if (client.grantTypeAllowed('refresh_token') && (options.refreshTokenFor?.(scope) ?? true)) {
        refreshToken = await new provider.RefreshToken({accountId: account.accountId, client, grantId, gty: 'password', scope, rotations: 0}).save()
      }
      const idToken = new provider.IdToken(account.claims, {ctx})
      idToken.scope = scope
      ctx.body = {
        access_token: accessToken,
        id_token: await idToken.issue({use: 'idtoken'}),
        ...(refreshToken ? {refresh_token: refreshToken} : {}),
        token_type: 'Bearer',
        expires_in: at.expiration,
        scope,
      }
    },
    new Set(['username', 'password', 'scope']),
  )
}
