import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {insecurePlaintextFlag} from '../../cli/plaintext-flag.js'
import {serverTransportFlags, serverTransportOf} from '../../cli/server-flags.js'
import {serveProxy} from '../../proxy/serve.js'
import {usageError} from '../../errors.js'

export default class ProxyServe extends BaseCommand<typeof ProxyServe> {
  static override summary = 'Run the Prism data proxy (gRPC) until SIGTERM/SIGINT'
  static override description =
    'Follows the control plane (Watch) and serves prism.patterns.v1 KeyValuePattern, ProducerPattern and ConsumerPattern, prism.proxy.v1.ProxyInfo and grpc.health.v1 on --listen; Prometheus metrics, /healthz and /readyz on --metrics-listen. It authenticates to the control plane like any client (PRISM_TOKEN, or the login of --context) and needs the proxy role there.'
  static override examples = [
    '<%= config.bin %> proxy serve --auth none --admin-endpoint 127.0.0.1:8981',
    '<%= config.bin %> proxy serve --issuer http://localhost:5556/dex --audience prismctl --admin-endpoint admin:8981 --admin-ca-file ca.pem --listen 0.0.0.0:50090 --tls-cert proxy.pem --tls-key proxy-key.pem',
  ]
  static override flags = {
    'admin-endpoint': Flags.string({description: 'Control plane HOST:PORT (default: PRISM_ADMIN_ENDPOINT, the context, then 127.0.0.1:8981)'}),
    'admin-tls': Flags.boolean({description: 'Reach the control plane over TLS (default: the context’s tls setting)', allowNo: true}),
    'admin-ca-file': Flags.string({description: 'CA bundle (PEM) for the control plane’s certificate (default: the context’s, then the system roots); implies --admin-tls'}),
    'admin-cert-file': Flags.string({description: 'Client certificate (PEM) for a control plane that requires mutual TLS; needs --admin-key-file'}),
    'admin-key-file': Flags.string({description: 'Private key (PEM) of --admin-cert-file'}),
    'insecure-plaintext': insecurePlaintextFlag,
    listen: Flags.string({description: 'HOST:PORT for gRPC (port 0 picks a free one)', default: '127.0.0.1:50090'}),
    'metrics-listen': Flags.string({description: 'HOST:PORT for /metrics, /healthz and /readyz', default: '127.0.0.1:50091'}),
    auth: Flags.string({description: 'How callers are authenticated: oidc (verify ID tokens; implied by --issuer) or none (anyone)', options: ['none', 'oidc']}),
    issuer: Flags.string({description: 'OIDC issuer the callers’ tokens must come from'}),
    audience: Flags.string({description: 'Audience the tokens must carry', default: 'prismctl'}),
    'jwks-url': Flags.string({description: "Where to fetch the issuer's signing keys, when the proxy reaches them elsewhere than the issuer says"}),
    'proxy-id': Flags.string({description: 'This proxy’s id in leases and metrics (default: hostname plus a random suffix)'}),
    'drain-timeout': Flags.integer({description: 'Seconds to let in-flight calls finish on SIGTERM', default: 10, min: 0}),
    'vault-addr': Flags.string({description: 'Vault to read backends\' credentials.vaultPath from (KV v2), with VAULT_TOKEN or --vault-role'}),
    'vault-role': Flags.string({description: "Log in to Vault with the proxy's own token through this role of auth/jwt (instead of VAULT_TOKEN)", dependsOn: ['vault-addr']}),
    login: Flags.string({description: "Log in to the control plane as this user of --issuer (password grant; the password from PRISM_LOGIN_PASSWORD), refreshing unattended, instead of PRISM_TOKEN or the context's login"}),
    'login-issuer-url': Flags.string({description: 'Where to reach --issuer for --login when not at its own URL (in a container: http://dex:5556/dex)', dependsOn: ['login']}),
    ...serverTransportFlags,
  }

  async run() {
    const f = this.flags
    if (f.auth === 'none' && f.issuer) throw usageError('--auth none and --issuer contradict each other', 'Drop --issuer to run without auth, or drop --auth none.')
    if (!f.auth && !f.issuer) throw usageError('say how callers authenticate: --issuer URL (OIDC) or --auth none', 'e.g. --issuer http://localhost:5556/dex --audience prismctl')
    return serveProxy(
      {
        context: f.context,
        adminEndpoint: f['admin-endpoint'],
        adminTls: {
          tls: f['admin-tls'] ?? (f['admin-ca-file'] || f['admin-cert-file'] ? true : undefined),
          caFile: f['admin-ca-file'],
          certFile: f['admin-cert-file'],
          keyFile: f['admin-key-file'],
          insecurePlaintext: f['insecure-plaintext'],
        },
        listen: f.listen,
        metricsListen: f['metrics-listen'],
        auth: (f.auth ?? 'oidc') as 'none' | 'oidc',
        issuer: f.issuer,
        audience: f.audience,
        jwksUrl: f['jwks-url'],
        proxyId: f['proxy-id'],
        version: this.config.version,
        drainMs: f['drain-timeout'] * 1000,
        ...(f['vault-addr'] ? {vault: {address: f['vault-addr'], token: process.env.VAULT_TOKEN, role: f['vault-role']}} : {}),
        ...(f.login ? {login: {email: f.login, password: process.env.PRISM_LOGIN_PASSWORD, reachAt: f['login-issuer-url']}} : {}),
        ...serverTransportOf(f),
      },
      {out: (line) => (this.jsonEnabled() ? process.stderr : process.stdout).write(`${line}\n`), warn: (line) => process.stderr.write(`${line}\n`)},
    )
  }
}
