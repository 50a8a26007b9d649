import {Flags} from '@oclif/core'

import {whoami} from '../auth/whoami.js'
import {BaseCommand} from '../cli/base-command.js'
import {insecurePlaintextFlag} from '../cli/plaintext-flag.js'
import {resolveContext} from '../config/contexts.js'

export default class WhoAmI extends BaseCommand<typeof WhoAmI> {
  static override summary = 'Show who you are logged in as, and the roles the control plane grants'
  static override flags = {
    output: Flags.string({char: 'o', options: ['table', 'json'], description: 'Output format (default: table); -o json prints what --json prints'}),
    'insecure-plaintext': insecurePlaintextFlag,
  }

  async run() {
    const format = this.outputFormat(this.flags.output)
    const me = await whoami(resolveContext({context: this.flags.context, insecurePlaintext: this.flags['insecure-plaintext']}))
    if (format === 'json') {
      this.out(JSON.stringify(me, null, 2))
      return me
    }
    const cp = me.controlPlane
    const roles = cp.roles
      ? `${cp.roles.join(', ') || '(none)'}${cp.authEnabled === false ? ' (the control plane runs with --auth none)' : ''}`
      : cp.reachable
        ? `refused: ${cp.error}`
        : `control plane unreachable (${cp.endpoint})`
    // Only what is known: without a login (--auth none) there is no issuer, subject or expiry to show.
    const rows: [string, string | undefined][] = [
      ['Context', me.context],
      ['Issuer', me.issuer],
      ['Subject', me.subject],
      ['Email', me.email],
      // Known only from a token that decoded (it has a subject); an opaque PRISM_TOKEN says nothing of them.
      ['Groups', me.subject === undefined ? undefined : me.groups.join(', ') || '(none)'],
      ['Expires', me.expiresAt],
      ['Token', me.source === 'PRISM_TOKEN' ? 'from PRISM_TOKEN' : me.source === 'none' ? '(not logged in; none needed)' : me.tokenFile],
      ['Principal', cp.principal],
      ['Roles', roles],
    ]
    for (const [field, value] of rows) if (value) this.out(`${`${field}:`.padEnd(11)}${value}`)
    return me
  }
}
