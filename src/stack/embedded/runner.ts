/**
 * The embedded dev stack's process (`prismctl dev run-embedded`, started detached by `dev up --embedded`): the
 * development issuer, the control plane on SQLite verifying the issuer's tokens, the default backends, and the
 * proxy following the control plane as the proxy test user — in one process, until SIGTERM/SIGINT.
 */
import {DEFAULTS} from '../../config/contexts.js'
import {PrismError} from '../../errors.js'
import {registerBackends, stackContext} from '../bootstrap.js'
import {MEMSTORE_DEV} from '../default-backends.js'
import {readDexConfig} from '../dex-config.js'
import {passwordBearer} from '../../auth/password-bearer.js'
import {DEV_ROLE_MAP, testUser} from '../test-users.js'
import {embeddedPaths, readState, removePid} from './state.js'

type Log = (line: string) => void

export async function runEmbeddedStack(options: {env?: NodeJS.ProcessEnv; version: string; log: Log}): Promise<void> {
  const {log} = options
  const paths = embeddedPaths(options.env)
  const state = readState(paths)
  if (!state) throw new PrismError(`no stack settings in ${paths.state}`, {hint: 'Start the stack with: prismctl dev up --embedded'})
  const prefixed = (service: string): Log => (line) => log(`${service}: ${line}`)
  const stops: (() => Promise<void>)[] = []
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err: Error) => log(`stopping: ${err.message}`))
  }
  try {
    const [{startDexIssuer}, {loadOrCreateSigningKey, signingKeyPath}] = await Promise.all([import('../../issuer/dex-issuer.js'), import('../../issuer/signing-key.js')])
    const issuer = await startDexIssuer(readDexConfig(paths.dexConfig), prefixed('issuer'), await loadOrCreateSigningKey(signingKeyPath(options.env)))
    stops.push(() => issuer.close())
    log(`issuer: ${state.issuer} (listening on ${issuer.address})`)

    // Keys by address: the issuer listens on 127.0.0.1 whatever host its URL names.
    const jwksUrl = `http://127.0.0.1:${state.ports.issuer}${new URL(state.issuer).pathname}/keys`
    const {startControlPlane} = await import('../../controlplane/serve.js')
    const admin = prefixed('admin')
    const cp = await startControlPlane(
      {listen: state.adminEndpoint, store: `sqlite://${paths.store}`, auth: 'oidc', issuer: state.issuer, audience: DEFAULTS.clientId, jwksUrl, roleMap: DEV_ROLE_MAP, drainMs: 2000},
      {out: admin, warn: admin},
    )
    stops.push(() => cp.shutdown())
    for (const line of await registerBackends(state, [MEMSTORE_DEV], {log: prefixed('admin')})) admin(`bootstrap: ${line}`)

    const {startProxy} = await import('../../proxy/serve.js')
    const proxyUser = testUser('proxy')
    const proxyLog = prefixed('proxy')
    const proxy = await startProxy(
      {
        controlPlane: stackContext(state),
        bearer: passwordBearer({issuer: state.issuer, email: proxyUser.email, password: proxyUser.password, log: proxyLog}),
        listen: state.proxyEndpoint,
        metricsListen: state.metricsEndpoint,
        auth: 'oidc',
        issuer: state.issuer,
        audience: DEFAULTS.clientId,
        jwksUrl,
        proxyId: 'dev-embedded',
        version: options.version,
        drainMs: 2000,
      },
      {out: proxyLog, warn: proxyLog},
    )
    stops.push(() => proxy.shutdown())
  } catch (err) {
    await stop()
    removePid(paths, process.pid)
    throw err
  }
  log(`stack: ready (pid ${process.pid})`)
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'))
    process.once('SIGINT', () => resolve('SIGINT'))
  })
  log(`stack: ${signal}, stopping`)
  await stop()
  removePid(paths, process.pid)
  log('stack: stopped')
}
