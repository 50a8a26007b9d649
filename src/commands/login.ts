import {Flags} from '@oclif/core'

import {login} from '../auth/login.js'
import {BaseCommand} from '../cli/base-command.js'
import {resolveContext} from '../config/contexts.js'

export default class Login extends BaseCommand<typeof Login> {
  static override summary = 'Log in to the context\'s OIDC issuer (device code by default)'
  static override description = `Device code (default): prints a URL and a code to approve in any browser.
--username: password grant for local test users; the password comes from a hidden prompt or --password-stdin.
--client-credentials: for CI service accounts; the client id and secret come from PRISM_CLIENT_ID / PRISM_CLIENT_SECRET.
Tokens are stored in <config dir>/tokens/<context>.json (mode 0600) and refreshed automatically.`
  static override examples = [
    '<%= config.bin %> login',
    '<%= config.bin %> login --open',
    'echo "$PASSWORD" | <%= config.bin %> login --username dev@local.prism --password-stdin',
    'PRISM_CLIENT_ID=ci-bot PRISM_CLIENT_SECRET=… <%= config.bin %> login --client-credentials',
  ]

  static override flags = {
    issuer: Flags.string({description: 'OIDC issuer URL (default: the context\'s)'}),
    'client-id': Flags.string({description: 'OIDC client id (default: the context\'s, "prismctl")'}),
    open: Flags.boolean({description: 'Open the verification URL in a browser'}),
    username: Flags.string({description: 'Log in with the password grant as this user (local test users)'}),
    'password-stdin': Flags.boolean({description: 'Read the password from stdin (with --username)'}),
    'client-credentials': Flags.boolean({description: 'Log in as a service account (PRISM_CLIENT_ID, PRISM_CLIENT_SECRET)'}),
    insecure: Flags.boolean({description: 'Allow a plain http:// issuer that is not on a loopback address'}),
  }

  async run() {
    const f = this.flags
    const context = resolveContext({context: f.context, issuer: f.issuer, clientId: f['client-id']})
    // Ctrl-C stops the polling and leaves nothing behind.
    const controller = new AbortController()
    const onSigint = () => controller.abort()
    process.once('SIGINT', onSigint)
    try {
      const result = await login({
        context,
        insecure: f.insecure,
        open: f.open,
        username: f.username,
        passwordStdin: f['password-stdin'],
        clientCredentials: f['client-credentials'],
        signal: controller.signal,
        tell: (line) => process.stderr.write(`${line}\n`),
      })
      const who = result.email ?? result.subject ?? 'unknown subject'
      this.out(`Logged in to ${result.issuer} as ${who} (context ${result.context}).`)
      this.note(`Token stored in ${result.tokenFile}${result.expiresAt ? `, valid until ${result.expiresAt}` : ''}.`)
      if (result.previous?.revocation === 'revoked') this.note('The previous login of this context was revoked at its issuer.')
      return result
    } finally {
      process.removeListener('SIGINT', onSigint)
    }
  }
}
