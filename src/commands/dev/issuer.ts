import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {serveDexIssuer} from '../../issuer/serve.js'

export default class DevIssuer extends BaseCommand<typeof DevIssuer> {
  static override summary = 'Run the Dex-compatible development issuer from a Dex config file, until SIGTERM/SIGINT'
  static override description =
    "Reads Dex's own config (issuer, web.http, staticClients, staticPasswords with bcrypt hashes and groups, oauth2.grantTypes, expiry) and serves Dex's paths under the issuer's path: discovery, /keys, /token, /device/code, /device, /healthz. Device code, the password grant (username = email) and refresh. For local development only: sessions live in memory, and the signing key too unless --signing-key names one."
  static override examples = ['<%= config.bin %> dev issuer --config ~/.prism/dev/embedded/dex.yaml']
  static override flags = {
    config: Flags.string({description: 'Dex config file (YAML)', required: true}),
    'signing-key': Flags.string({description: 'RS256 private key (a JWK file) to sign with, e.g. what dev up keeps in the config directory [default: a new key per start]'}),
  }

  async run() {
    return serveDexIssuer(
      this.flags.config,
      {
        out: (line) => (this.jsonEnabled() ? process.stderr : process.stdout).write(`${line}\n`),
        warn: (line) => process.stderr.write(`${line}\n`),
      },
      this.flags['signing-key'],
    )
  }
}
