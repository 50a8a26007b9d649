import {Flags} from '@oclif/core'

import {logout} from '../auth/login.js'
import {BaseCommand} from '../cli/base-command.js'
import {resolveContext} from '../config/contexts.js'

export default class Logout extends BaseCommand<typeof Logout> {
  static override summary = 'Revoke the stored login at the issuer and delete it locally'
  static override examples = ['<%= config.bin %> logout', '<%= config.bin %> logout --all']
  static override flags = {all: Flags.boolean({description: 'Log out of every context'})}

  async run() {
    const context = this.flags.all ? undefined : resolveContext({context: this.flags.context})
    // With --all, PRISM_PROXY_ENDPOINT is no context's proxy: each context's sessions end only at its own proxyEndpoint.
    const endSessions = async (name: string, bearer: string) => (await import('../data/sessions.js')).endProxySessions(name, bearer, {selected: !this.flags.all})
    const entries = await logout({context: context?.name ?? '', all: this.flags.all, endSessions})
    if (entries.length === 0) this.out('No stored logins.')
    for (const e of entries) {
      const revocation = {
        revoked: 'token revoked at the issuer',
        unsupported: 'the issuer does not support revocation',
        skipped: 'nothing to revoke',
        failed: `could not revoke at the issuer (${e.error})`,
      }[e.revocation]
      const proxy = e.sessions
      const sessions = !proxy ? '' : proxy.error ? `; could not end sessions on the proxy at ${proxy.endpoint} (${proxy.error})` : `; ${proxy.ended} session(s) ended on the proxy at ${proxy.endpoint}`
      this.out(`Logged out of context ${e.context}: ${revocation}${sessions}; local token ${e.deleted ? 'deleted' : 'absent'}.`)
    }
    return {contexts: entries}
  }
}
