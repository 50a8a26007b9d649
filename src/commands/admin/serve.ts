import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {parseDuration} from '../../config/duration.js'
import {serverTransportFlags, serverTransportOf} from '../../cli/server-flags.js'
import {serveControlPlane} from '../../controlplane/serve.js'
import {usageError} from '../../errors.js'

export default class AdminServe extends BaseCommand<typeof AdminServe> {
  static override summary = 'Run the Prism control plane (gRPC) until SIGTERM/SIGINT'
  static override description =
    'Serves prism.admin.v1.ControlPlane and grpc.health.v1 on --listen. State lives in SQLite (default: controlplane.db in the config dir) or in PostgreSQL, which several replicas can share.'
  static override examples = [
    '<%= config.bin %> admin serve --auth none --listen 127.0.0.1:8981',
    '<%= config.bin %> admin serve --issuer http://localhost:5556/dex --audience prismctl --role-map admins=admin,platform-team=operator --store postgres://prism:secret@localhost:5432/prism',
    '<%= config.bin %> admin serve --issuer https://login.example.com --listen 0.0.0.0:8981 --tls-cert cp.pem --tls-key cp-key.pem --client-ca clients-ca.pem',
  ]
  static override flags = {
    listen: Flags.string({description: 'HOST:PORT to listen on (port 0 picks a free one)', default: '127.0.0.1:8981'}),
    store: Flags.string({description: 'sqlite:///absolute/path.db or postgres://user:password@host:5432/db (default: sqlite under the config dir)'}),
    auth: Flags.string({description: 'How callers are authenticated: oidc (verify ID tokens; implied by --issuer) or none (everyone is admin)', options: ['none', 'oidc']}),
    issuer: Flags.string({description: 'OIDC issuer the tokens must come from (--auth oidc)'}),
    audience: Flags.string({description: 'Audience the tokens must carry (--auth oidc)', default: 'prismctl'}),
    'jwks-url': Flags.string({description: "Where to fetch the issuer's signing keys, when the server reaches them elsewhere than the issuer says"}),
    'role-map': Flags.string({description: 'GROUP=ROLE pairs, ROLE one of viewer, operator, admin, proxy [default: admins=admin,platform-team=operator,viewers=viewer,proxies=proxy]'}),
    'drain-timeout': Flags.integer({description: 'Seconds to let in-flight calls finish on SIGTERM', default: 10, min: 0}),
    'store-wait': Flags.string({description: 'Keep trying to reach the store for this long at start (e.g. 60s, while a database container starts) [default: fail at once]'}),
    'audit-retention': Flags.string({description: 'Prune audit entries older than this (at start, then hourly), e.g. 30d, 12h', default: '90d'}),
    ...serverTransportFlags,
  }

  async run() {
    const f = this.flags
    if (f.auth === 'none' && f.issuer) throw usageError('--auth none and --issuer contradict each other', 'Drop --issuer to run without auth, or drop --auth none.')
    if (!f.auth && !f.issuer) throw usageError('say how callers authenticate: --issuer URL (OIDC) or --auth none', 'e.g. --issuer http://localhost:5556/dex --audience prismctl')
    return serveControlPlane(
      {
        listen: f.listen,
        store: f.store,
        auth: (f.auth ?? 'oidc') as 'none' | 'oidc',
        issuer: f.issuer,
        audience: f.audience,
        jwksUrl: f['jwks-url'],
        roleMap: f['role-map'],
        drainMs: f['drain-timeout'] * 1000,
        ...(f['store-wait'] ? {storeWaitMs: parseDuration(f['store-wait'], '--store-wait')} : {}),
        auditRetention: f['audit-retention'],
        ...serverTransportOf(f),
      },
      // Under --json, stdout carries only the JSON result (printed on exit); the listening line moves to stderr.
      {out: (line) => (this.jsonEnabled() ? process.stderr : process.stdout).write(`${line}\n`), warn: (line) => process.stderr.write(`${line}\n`)},
    )
  }
}
