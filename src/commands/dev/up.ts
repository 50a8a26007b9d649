import {join} from 'node:path'

import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {embeddedFlag, stackFlag} from '../../cli/dev-flags.js'
import {parseDuration} from '../../config/duration.js'
import {usageError} from '../../errors.js'
import {DEFAULT_BASE_IMAGE} from '../../stack/docker/runtime-image.js'
import {checkStackName, chosenServices, DEFAULT_STACK, imageOverrides} from '../../stack/docker/options.js'
import {HOST_PORTS, SERVICES} from '../../stack/docker/services.js'
import {DEFAULT_PORTS} from '../../stack/embedded/state.js'
import {renderDockerEndScreen, renderEndScreen} from '../../stack/render.js'
import {progressRows} from '../../ui/progress-rows.js'

const port = (description: string) => Flags.integer({description: `${description} (--embedded)`, min: 1, max: 65535})

export default class DevUp extends BaseCommand<typeof DevUp> {
  static override summary = 'Start a local Prism (issuer, Vault, PostgreSQL, Redis, NATS, Kafka, control plane, proxy), wait until healthy, and log in'
  static override description = `On Docker (the default): ${SERVICES.join(', ')}, on the network prism-STACK. Published on 127.0.0.1: Dex :${HOST_PORTS.dex}, Vault :${HOST_PORTS.vault}, the control plane :${HOST_PORTS.admin}, the proxy :${HOST_PORTS.proxy} (metrics :${HOST_PORTS.metrics}); the backends too with --expose. admin and proxy run from a runtime image built locally from this package. Running it again keeps unchanged containers and replaces changed ones.

--embedded: one background process of prismctl, no Docker: the development issuer on :${DEFAULT_PORTS.issuer}, the control plane on SQLite on :${DEFAULT_PORTS.admin}, the proxy with the memstore-dev backend on :${DEFAULT_PORTS.proxy} (metrics :${DEFAULT_PORTS.metrics}).

Either way the "dev" context is written and made current, and you are logged in as admin@local.prism.`
  static override examples = [
    '<%= config.bin %> dev up',
    '<%= config.bin %> dev up --oidc embedded --without vault,kafka',
    '<%= config.bin %> dev up --image redis=valkey/valkey:8 --expose',
    '<%= config.bin %> dev up --embedded',
    '<%= config.bin %> dev up --embedded --port-offset 100 --no-login',
  ]
  static override flags = {
    embedded: embeddedFlag,
    stack: stackFlag,
    services: Flags.string({description: `Only these services, comma-separated (${SERVICES.join(', ')})`, exclusive: ['without']}),
    without: Flags.string({description: 'Every service but these, comma-separated (e.g. vault,kafka)'}),
    image: Flags.string({description: 'Use this image for a service: SERVICE=REF; repeatable (also PRISM_DEV_IMAGE_<SERVICE>)', multiple: true}),
    'base-image': Flags.string({description: 'Node 20 image the runtime image (admin, proxy) is built on', default: DEFAULT_BASE_IMAGE}),
    pull: Flags.string({description: 'When to pull images', options: ['missing', 'always', 'never'], default: 'missing'}),
    oidc: Flags.string({description: "The issuer: Dex, or prismctl's Dex-compatible development issuer in Dex's place (same port and config)", options: ['dex', 'embedded'], default: 'dex'}),
    expose: Flags.boolean({description: 'Also publish the backends (PostgreSQL, Redis, NATS, Kafka) on 127.0.0.1'}),
    timeout: Flags.string({description: 'How long to wait for every service to get healthy [default: 180s, 60s with --embedded]'}),
    // At most what keeps the highest default port (the proxy's metrics, 50091) a port.
    'port-offset': Flags.integer({description: 'Added to every host port (e.g. 100: the issuer on 5656)', default: 0, min: 0, max: 65_535 - 50_091}),
    'issuer-port': port(`Issuer port (default ${DEFAULT_PORTS.issuer})`),
    'admin-port': port(`Control plane port (default ${DEFAULT_PORTS.admin})`),
    'proxy-port': port(`Proxy port (default ${DEFAULT_PORTS.proxy})`),
    'metrics-port': port(`Proxy metrics port (default ${DEFAULT_PORTS.metrics})`),
    'no-context': Flags.boolean({description: 'Do not write the "dev" context nor make it current'}),
    'no-login': Flags.boolean({description: 'Do not log in as the admin test user'}),
  }

  async run() {
    const f = this.flags
    const rows = this.jsonEnabled() ? undefined : progressRows(process.stderr)
    const progress = (text: string, service?: string) => (service ? rows?.update(service, text) : rows?.line(text))
    if (f.embedded) return this.embedded(progress)
    const perPort = (['issuer-port', 'admin-port', 'proxy-port', 'metrics-port'] as const).find((k) => f[k] !== undefined)
    if (perPort) throw usageError(`--${perPort} is for --embedded`, 'Move the Docker stack with --port-offset N.')
    const {dockerUp} = await import('../../stack/docker/up.js')
    const result = await dockerUp({
      stack: checkStackName(f.stack ?? DEFAULT_STACK),
      services: chosenServices(f.services, f.without),
      images: imageOverrides(f.image),
      baseImage: f['base-image'],
      pull: f.pull as 'missing' | 'always' | 'never',
      oidc: f.oidc as 'dex' | 'embedded',
      portOffset: f['port-offset'],
      expose: f.expose,
      timeoutMs: parseDuration(f.timeout ?? '180s', '--timeout'),
      context: !f['no-context'],
      login: !f['no-login'],
      packageRoot: this.config.root,
      version: this.config.version,
      progress,
    })
    rows?.done()
    this.out(renderDockerEndScreen(result, {context: !f['no-context']}))
    return result
  }

  private async embedded(progress: (line: string) => void) {
    const f = this.flags
    const dockerOnly = (['services', 'without', 'image', 'expose'] as const).find((k) => f[k] !== undefined && f[k] !== false)
    if (dockerOnly) throw usageError(`--${dockerOnly} is for the Docker stack, not --embedded`, 'The embedded stack always runs the issuer, the control plane and the proxy with memstore.')
    const {embeddedUp} = await import('../../stack/embedded/lifecycle.js')
    const offset = f['port-offset']
    const result = await embeddedUp({
      ports: {
        issuer: f['issuer-port'] ?? DEFAULT_PORTS.issuer + offset,
        admin: f['admin-port'] ?? DEFAULT_PORTS.admin + offset,
        proxy: f['proxy-port'] ?? DEFAULT_PORTS.proxy + offset,
        metrics: f['metrics-port'] ?? DEFAULT_PORTS.metrics + offset,
      },
      timeoutMs: parseDuration(f.timeout ?? '60s', '--timeout'),
      context: !f['no-context'],
      login: !f['no-login'],
      cliEntry: join(this.config.root, 'bin/run.js'),
      progress,
    })
    this.out(renderEndScreen(result, {context: !f['no-context']}))
    return result
  }
}
