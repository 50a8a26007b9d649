import {getBearer} from '../../auth/session.js'
import {BaseCommand} from '../../cli/base-command.js'
import {resolveContext} from '../../config/contexts.js'

export default class AuthToken extends BaseCommand<typeof AuthToken> {
  static override summary = 'Print the bearer token for the context (refreshed if needed), nothing else'
  static override description = 'For scripts: curl -H "Authorization: Bearer $(prismctl auth token)" …'
  static override enableJsonFlag = false

  async run() {
    const bearer = await getBearer(resolveContext({context: this.flags.context}))
    process.stdout.write(`${bearer.token}\n`)
  }
}
