import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {setContext} from '../../config/contexts.js'

export default class ContextSet extends BaseCommand<typeof ContextSet> {
  static override summary = 'Create or update a context (it becomes the current one only with --use)'
  static override examples = ['<%= config.bin %> context set local --admin-endpoint 127.0.0.1:8981 --use']
  static override args = {name: Args.string({required: true, description: 'Context name'})}
  static override flags = {
    'admin-endpoint': Flags.string({description: 'Control plane host:port'}),
    'proxy-endpoint': Flags.string({description: 'Proxy host:port'}),
    issuer: Flags.string({description: 'OIDC issuer URL'}),
    'client-id': Flags.string({description: 'OIDC client id'}),
    scopes: Flags.string({description: 'OIDC scopes, space-separated'}),
    tls: Flags.boolean({description: 'Use TLS to reach the endpoints', allowNo: true}),
    'ca-file': Flags.string({description: 'CA bundle (PEM) that signed the servers’ certificates (default: the system roots)'}),
    'cert-file': Flags.string({description: 'Client certificate (PEM), for servers that require mutual TLS; needs --key-file'}),
    'key-file': Flags.string({description: 'Private key (PEM) of --cert-file'}),
    use: Flags.boolean({description: 'Also make it the current context'}),
  }

  async run() {
    const f = this.flags
    const settings = setContext(
      this.args.name,
      {adminEndpoint: f['admin-endpoint'], proxyEndpoint: f['proxy-endpoint'], issuer: f.issuer, clientId: f['client-id'], scopes: f.scopes, tls: f.tls, caFile: f['ca-file'], certFile: f['cert-file'], keyFile: f['key-file']},
      {use: f.use},
    )
    this.out(`context "${this.args.name}" saved${f.use ? ' and now current' : ''}`)
    return {name: this.args.name, ...settings}
  }
}
