/**
 * `prismctl dev up` on Docker: plan every service's container, keep those whose settings hash still matches,
 * replace the changed ones, check every port before anything starts, start them one by one (START_ORDER) while
 * their health checks are awaited (readiness.ts), bootstrap (Vault, default backends) once what it needs answers,
 * and, when everything has worked, write the `dev` context and the admin login.
 */
import {setTimeout as sleep} from 'node:timers/promises'

import type Dockerode from 'dockerode'

import {DEFAULTS} from '../../config/contexts.js'
import {PrismError} from '../../errors.js'
import {adminLogin, connectCli, registerBackends} from '../bootstrap.js'
import {dockerBackend, MEMSTORE_DEV} from '../default-backends.js'
import {renderDexConfig} from '../dex-config.js'
import {loadOrCreateSigningKey, signingKeyPath} from '../../issuer/signing-key.js'
import {checkPortsFree, type PortClaim} from '../ports.js'
import {containerName, containersByHostPort, createContainer, ensureNetwork, ensureVolumes, listStackContainers, removeContainer, startContainer, type StackContainer} from './containers.js'
import {findEngine} from './engine.js'
import {pullImage, type PullPolicy} from './images.js'
import {awaitReadiness} from './readiness.js'
import {ensureRuntimeImage, imageExists, planRuntimeImage} from './runtime-image.js'
import {containerSpec, HOST_PORTS, START_ORDER, ISSUER_IN_NETWORK, issuerFor, POSTGRES, specHash, VAULT_DEV_ROOT_TOKEN, type ContainerSpec, type ServiceName, type StackSettings} from './services.js'
import {dockerStatus, type DockerStatus} from './status.js'
import {bootstrapVault} from './vault-bootstrap.js'

export interface DockerUpOptions {
  stack: string
  services: ServiceName[]
  images: Partial<Record<ServiceName, string>>
  baseImage: string
  pull: PullPolicy
  oidc: 'dex' | 'embedded'
  portOffset: number
  expose: boolean
  timeoutMs: number
  context: boolean
  login: boolean
  /** The installed package (the runtime image is built from it). */
  packageRoot: string
  version: string
  env?: NodeJS.ProcessEnv
  /** A line about one service (drawn as its row on a terminal), or about the whole stack. */
  progress: (text: string, item?: string) => void
}

export interface DockerUpResult extends DockerStatus {
  /** What happened to each service: kept, started, created, replaced. */
  actions: Record<string, 'kept' | 'started' | 'created' | 'replaced'>
  bootstrap: string[]
  loggedInAs?: string
}

interface Planned {
  spec: ContainerSpec
  hash: string
  existing?: StackContainer
  action: 'kept' | 'started' | 'created' | 'replaced'
}

/** Pulls what --pull says (the presence checks at once, the pulls one by one); returns whether any service runs the runtime image. */
async function prepareImages(docker: Dockerode, o: DockerUpOptions, settings: StackSettings): Promise<boolean> {
  const images = o.services.map((s) => containerSpec(s, settings).image)
  const needsRuntime = images.includes(settings.runtimeImage)
  const needsBase = needsRuntime && !(await imageExists(docker, settings.runtimeImage))
  const refs = [...new Set([...images.filter((r) => r !== settings.runtimeImage), ...(needsBase ? [o.baseImage] : [])])]
  const present = await Promise.all(refs.map((ref) => (o.pull === 'always' ? false : imageExists(docker, ref))))
  for (const [i, ref] of refs.entries()) {
    if (!present[i]) await pullImage(docker, ref, o.pull, o.progress)
  }
  return needsRuntime
}

/** A busy port named by its holder: this stack, another container, or a host process. */
async function checkPorts(docker: Dockerode, stack: string, claims: PortClaim[]): Promise<void> {
  try {
    await checkPortsFree(claims)
  } catch (err) {
    const byPort = await containersByHostPort(docker)
    const busy = claims.filter((c) => byPort.has(c.port))
    if (busy.length === 0) throw err
    const lines = busy.map((c) => {
      const holder = byPort.get(c.port)!
      return holder.stack === stack
        ? `port ${c.port} (${c.service}) is held by ${holder.name}, a container of this stack: it is already running, see prismctl dev status`
        : `port ${c.port} (${c.service}) is in use by the container ${holder.name}${holder.stack ? ` (dev stack "${holder.stack}")` : ''}`
    })
    throw new PrismError(lines.length === 1 ? lines[0]! : `${lines.length} ports are in use`, {
      code: 'UNAVAILABLE',
      details: lines.length === 1 ? [] : lines,
      hint: 'Stop what holds the port (docker stop NAME), or move the stack: prismctl dev up --port-offset N, or run a second one: --stack NAME --port-offset N.',
    })
  }
}

export async function dockerUp(o: DockerUpOptions): Promise<DockerUpResult> {
  const env = o.env ?? process.env
  const {docker} = await findEngine(env)
  const labels = {'dev.prism.runtime': 'true'}
  const plan = planRuntimeImage(o.packageRoot, o.baseImage, o.version)
  const settings: StackSettings = {
    stack: o.stack,
    services: o.services,
    images: o.images,
    runtimeImage: plan.tag,
    oidc: o.oidc,
    portOffset: o.portOffset,
    expose: o.expose,
    dexConfig: await renderDexConfig({issuer: issuerFor(o.portOffset), listen: '0.0.0.0:5556'}),
    ...(o.oidc === 'embedded' && o.services.includes('dex') && !o.images.dex ? {issuerSigningKey: JSON.stringify(await loadOrCreateSigningKey(signingKeyPath(env)))} : {}),
  }

  if (await prepareImages(docker, o, settings)) {
    const runtime = await ensureRuntimeImage(docker, o.packageRoot, plan, labels, (line) => o.progress(line, 'runtime image'))
    if (runtime.built) o.progress(`built ${runtime.tag}`, 'runtime image')
  }
  // --timeout bounds the start, not pulls and builds (a first run on a slow network).
  const deadline = Date.now() + o.timeoutMs

  const ids = new Map<string, Promise<string>>()
  const imageId = (ref: string) => ids.get(ref) ?? ids.set(ref, docker.getImage(ref).inspect().then((i) => i.Id)).get(ref)!
  const [existing, planned] = await Promise.all([
    listStackContainers(docker, o.stack),
    Promise.all(o.services.map(async (service) => {
      const spec = containerSpec(service, settings)
      return {spec, hash: specHash(spec, await imageId(spec.image))}
    })),
  ]).then(([existing, specs]) => [existing, specs.map(({spec, hash}): Planned => {
    const current = existing.find((c) => c.service === spec.service)
    // A container that runs but fails its health check is replaced too: keeping it would fail every later up.
    const action = !current ? 'created' : current.hash !== hash || current.unhealthy ? 'replaced' : current.state === 'running' ? 'kept' : 'started'
    return {spec, hash, action, ...(current ? {existing: current} : {})}
  })] as const)

  // Pre-flight before anything changes: the ports of every container that will start must be free, apart from
  // those its own replaced container holds now.
  const claims = planned
    .filter((p) => p.action !== 'kept')
    .flatMap((p) => p.spec.ports.filter((port) => !p.existing?.ports.some((held) => held.host === port.host) || p.action === 'started').map((port) => ({port: port.host, service: p.spec.service})))
  await checkPorts(docker, o.stack, claims)

  await Promise.all([
    ...existing.filter((c) => !o.services.includes(c.service)).map((stale) => {
      o.progress('removing (not selected)', stale.service)
      return removeContainer(docker, stale.id)
    }),
    ensureNetwork(docker, o.stack),
  ])
  // No container waits for another's health to start: admin retries its store (--store-wait) and the proxy its
  // control plane, so their start-up overlaps what the whole stack waits for, PostgreSQL's first-start
  // initialisation (or Kafka's JVM). The engine creates and starts containers about one at a time whatever it is
  // given, so they go one by one in START_ORDER: given all at once, it started PostgreSQL's last, 1.5 s later.
  const startOne = async (p: Planned): Promise<string> => {
    let id = p.existing?.id
    if (p.action === 'replaced') {
      o.progress(`settings changed, replacing ${containerName(o.stack, p.spec.service)}`, p.spec.service)
      await removeContainer(docker, id!)
    }
    if (p.action === 'created' || p.action === 'replaced') {
      await ensureVolumes(docker, o.stack, p.spec)
      id = await createContainer(docker, o.stack, p.spec, p.hash)
    }
    if (p.action !== 'kept') {
      o.progress(`starting (${p.spec.image})`, p.spec.service)
      await startContainer(docker, id!, p.spec.service)
    }
    return id!
  }
  // After a failure nothing more is started (what started stays up for dev logs).
  let halted = false
  const started = new Map<ServiceName, Promise<string>>()
  let previous: Promise<unknown> = Promise.resolve()
  for (const p of [...planned].sort((a, b) => START_ORDER.indexOf(a.spec.service) - START_ORDER.indexOf(b.spec.service))) {
    const next = previous.then(() => {
      if (halted) throw new PrismError(`${p.spec.service} was not started: dev up stopped at an earlier failure`, {code: 'ABORTED'})
      return startOne(p)
    })
    started.set(p.spec.service, next)
    previous = next.catch(() => undefined)
  }

  // The first failure ends the waits; what runs beside them (the bootstrap) is let finish before it is thrown.
  const readiness = awaitReadiness(docker, planned.map((p) => ({spec: p.spec, id: started.get(p.spec.service)!, kept: p.action === 'kept'})), {deadline, timeoutMs: o.timeoutMs, progress: o.progress})
  let firstError: unknown
  const failed = (err: unknown): never => {
    halted = true
    readiness.stop(err)
    firstError ??= err
    throw err
  }
  const after = (services: ServiceName[]) => readiness.ready(services)

  // The host reaches the stack through its published ports; give them the rest of the bound to answer.
  const reachable = after(o.services).then(async () => {
    const passed = new Set<string>(o.services)
    let status = await dockerStatus({stack: o.stack, docker, passed})
    while (!status.endpointsHealthy && Date.now() < deadline && !halted) {
      await sleep(250)
      status = await dockerStatus({stack: o.stack, docker, passed})
    }
    if (!status.endpointsHealthy) {
      const failing = status.services.filter((s) => !s.healthy).map((s) => `${s.service}${s.detail ? ` (${s.detail})` : ''}`)
      throw new PrismError(`the stack's containers are healthy but not reachable from this host: ${failing.join(', ')}`, {code: 'UNAVAILABLE', hint: 'prismctl dev status; prismctl dev logs'})
    }
    return status
  }).catch(failed)

  // The bootstrap needs the control plane, the issuer and Vault, not the proxy: it runs while the proxy starts.
  const published = (service: ServiceName, container: number) => planned.find((p) => p.spec.service === service)?.spec.ports.find((port) => port.container === container)?.host
  const endpoints = {issuer: issuerFor(o.portOffset), adminEndpoint: `127.0.0.1:${published('admin', 8981)}`, proxyEndpoint: published('proxy', 50090) ? `127.0.0.1:${published('proxy', 50090)}` : ''}
  const bootstrapped = (async () => {
    const bootstrap: string[] = []
    if (o.services.includes('vault')) {
      await after(['vault', 'dex'])
      const changed = await bootstrapVault({
        address: `http://127.0.0.1:${HOST_PORTS.vault + o.portOffset}`,
        token: VAULT_DEV_ROOT_TOKEN,
        jwksUrl: `${ISSUER_IN_NETWORK}/keys`,
        boundIssuer: issuerFor(o.portOffset),
        audience: DEFAULTS.clientId,
        secrets: o.services.includes('postgres') ? {'prism/backends/postgres-dev': {username: POSTGRES.user, password: POSTGRES.password}} : {},
      })
      bootstrap.push(...changed.map((c) => `vault: ${c}`))
    }
    if (!o.services.includes('admin')) return {bootstrap}
    await after(['admin', 'dex'])
    // One password grant (a bcrypt check at the issuer) serves the registration and the CLI's login.
    const tokens = o.login ? await adminLogin(endpoints) : undefined
    const backendServices = (['redis', 'nats', 'kafka', 'postgres'] as const).filter((s) => o.services.includes(s))
    bootstrap.push(...(await registerBackends(endpoints, [MEMSTORE_DEV, ...backendServices.map((s) => dockerBackend(s, o.services.includes('vault')))], tokens ? {bearer: tokens.bearer} : {})))
    return {bootstrap, tokens}
  })().catch(failed)

  const outcomes = await Promise.allSettled([reachable, bootstrapped, ...started.values()])
  if (outcomes.some((r) => r.status === 'rejected')) throw firstError ?? (outcomes.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason
  const status = await reachable
  const {bootstrap, tokens} = await bootstrapped
  // The user's current context changes only when everything has worked.
  const loggedInAs = o.services.includes('admin') ? await connectCli(endpoints, o, env, tokens) : undefined
  const actions = Object.fromEntries(planned.map((p) => [p.spec.service, p.action]))
  return {...status, actions, bootstrap, ...(loggedInAs ? {loggedInAs} : {})}
}
