import {getBearer} from '../../auth/session.js'
import {BaseCommand} from '../../cli/base-command.js'
import {resolveContext} from '../../config/contexts.js'

export default class AuthToken extends BaseCommand<typeof AuthToken> {
  static override summary = 'Print the bearer token for the context (refreshed if needed), nothing else'
  static override description =
    'For scripts: curl -H "Authorization: Bearer $(prismctl auth token)" … With --json: {token, source, expiresAt}, never the refresh token.'

  async run() {
    const bearer = await getBearer(resolveContext({context: this.flags.context}))
    this.out(bearer.token)
    return {token: bearer.token, source: bearer.source, expiresAt: bearer.tokens?.expiresAt}
  }
}
