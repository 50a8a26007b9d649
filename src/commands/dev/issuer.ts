import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {serveDexIssuer} from '../../issuer/serve.js'

export default class DevIssuer extends BaseCommand<typeof DevIssuer> {
  static override summary = 'Run the Dex-compatible development issuer from a Dex config file, until SIGTERM/SIGINT'
  static override description =
    "Reads Dex's own config (issuer, web.http, staticClients, staticPasswords with bcrypt hashes and groups, oauth2.grantTypes, expiry) and serves Dex's paths under the issuer's path: discovery, /keys, /token, /device/code, /device, /healthz. Device code, the password grant (username = email) and refresh. For local development only: signing keys and sessions live in memory."
  static override examples = ['<%= config.bin %> dev issuer --config ~/.prism/dev/embedded/dex.yaml']
  static override flags = {
    config: Flags.string({description: 'Dex config file (YAML)', required: true}),
  }

  async run() {
    return serveDexIssuer(this.flags.config, {
      out: (line) => (this.jsonEnabled() ? process.stderr : process.stdout).write(`${line}\n`),
      warn: (line) => process.stderr.write(`${line}\n`),
    })
  }
}
