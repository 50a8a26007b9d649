/**
 * `prismctl dev up` on Docker: plan every service's container, keep those whose settings hash still matches,
 * replace the changed ones, check every port before anything starts, start in dependency order waiting for each
 * health check, then bootstrap (Vault, default backends), write the `dev` context and log in.
 */
import {setTimeout as sleep} from 'node:timers/promises'

import type Dockerode from 'dockerode'

import {DEFAULTS} from '../../config/contexts.js'
import {PrismError} from '../../errors.js'
import {connectCli, registerBackends} from '../bootstrap.js'
import {dockerBackend, MEMSTORE_DEV} from '../default-backends.js'
import {renderDexConfig} from '../dex-config.js'
import {probeStack} from '../health.js'
import {checkPortsFree, type PortClaim} from '../ports.js'
import {containerName, containersByHostPort, createContainer, ensureNetwork, ensureVolumes, healthOf, listStackContainers, logLines, probeNow, removeContainer, startContainer, type StackContainer} from './containers.js'
import {findEngine} from './engine.js'
import {pullImage, type PullPolicy} from './images.js'
import {ensureRuntimeImage, imageExists, planRuntimeImage} from './runtime-image.js'
import {containerSpec, DEPENDS_ON, HOST_PORTS, ISSUER_IN_NETWORK, issuerFor, POSTGRES, specHash, VAULT_DEV_ROOT_TOKEN, type ContainerSpec, type ServiceName, type StackSettings} from './services.js'
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

/** Dependency waves: each service after everything it needs. */
function waves(services: ServiceName[]): ServiceName[][] {
  const done = new Set<ServiceName>()
  const out: ServiceName[][] = []
  while (done.size < services.length) {
    const wave = services.filter((s) => !done.has(s) && DEPENDS_ON[s].every((d) => done.has(d) || !services.includes(d)))
    out.push(wave)
    for (const s of wave) done.add(s)
  }
  return out
}

async function imageId(docker: Dockerode, ref: string): Promise<string> {
  return (await docker.getImage(ref).inspect()).Id
}

/** Pulls what --pull says; returns whether any service runs the runtime image (then its base is needed too). */
async function prepareImages(docker: Dockerode, o: DockerUpOptions, settings: StackSettings): Promise<boolean> {
  const images = o.services.map((s) => containerSpec(s, settings).image)
  const needsRuntime = images.includes(settings.runtimeImage)
  const needsBase = needsRuntime && !(await imageExists(docker, settings.runtimeImage))
  const refs = new Set([...images.filter((r) => r !== settings.runtimeImage), ...(needsBase ? [o.baseImage] : [])])
  for (const ref of refs) {
    if (o.pull === 'always' || !(await imageExists(docker, ref))) await pullImage(docker, ref, o.pull, o.progress)
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

async function failure(docker: Dockerode, service: string, id: string, what: string): Promise<PrismError> {
  const [lines, health] = await Promise.all([logLines(docker, id, {tail: 30}).catch(() => []), healthOf(docker, id).catch(() => undefined)])
  return new PrismError(`${service} ${what}`, {
    code: 'UNAVAILABLE',
    details: [
      ...(health?.lastProbe ? [`last health check: ${health.lastProbe}`] : []),
      ...(lines.length > 0 ? [`last ${lines.length} log lines of ${service}:`, ...lines.map((l) => `  ${l}`)] : [`${service} logged nothing`]),
    ],
    hint: `What started stays up: prismctl dev logs ${service}, prismctl dev status; prismctl dev down removes it.`,
  })
}


/**
 * For what the stack publishes, the same readiness asked from this host through its port: no `docker exec` of a
 * Node probe in the container, which costs a process start each time.
 */
async function readyFromHost(spec: ContainerSpec): Promise<boolean | undefined> {
  const host = (container: number) => spec.ports.find((p) => p.container === container)?.host
  const endpoints =
    spec.service === 'dex' ? {issuer: `http://localhost:${host(5556)}/dex`}
    : spec.service === 'admin' ? {adminEndpoint: `127.0.0.1:${host(8981)}`}
    : spec.service === 'proxy' ? {proxyEndpoint: `127.0.0.1:${host(50090)}`, metricsEndpoint: `127.0.0.1:${host(50091)}`}
    : undefined
  if (!endpoints) return undefined
  return (await probeStack(endpoints, 1000)).every((p) => p.healthy)
}

/**
 * Until the service's health check passes: Docker's verdict, or the same check run by us without waiting for it
 * (from the host every 150 ms for what is published, else by exec every 500 ms, each bounded by the check's own
 * timeout). `stop` ends the wait when another service has failed.
 */
async function waitHealthy(docker: Dockerode, spec: ContainerSpec, id: string, bound: {deadline: number; timeoutMs: number; stop: {failed: boolean}}): Promise<boolean> {
  const service = spec.service
  while (!bound.stop.failed) {
    const h = await healthOf(docker, id)
    if (h.state === 'exited' || h.state === 'dead') throw await failure(docker, service, id, `exited (code ${h.exitCode ?? '?'}) while starting`)
    if (h.health === 'healthy') return true
    if (h.health === 'unhealthy') throw await failure(docker, service, id, 'is unhealthy')
    const fromHost = h.state === 'running' ? await readyFromHost(spec) : false
    if (fromHost ?? (await probeNow(docker, id, spec.health.test, Math.min(spec.health.timeoutMs, Math.max(1000, bound.deadline - Date.now()))))) return true
    if (Date.now() > bound.deadline) throw await failure(docker, service, id, `did not get healthy within ${bound.timeoutMs / 1000} s (--timeout)`)
    await sleep(fromHost === undefined ? 500 : 150)
  }
  return false
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
  }

  if (await prepareImages(docker, o, settings)) {
    const runtime = await ensureRuntimeImage(docker, o.packageRoot, plan, labels, (line) => o.progress(line, 'runtime image'))
    if (runtime.built) o.progress(`built ${runtime.tag}`, 'runtime image')
  }
  // --timeout bounds the start, not pulls and builds (a first run on a slow network).
  const deadline = Date.now() + o.timeoutMs

  const existing = await listStackContainers(docker, o.stack)
  const planned: Planned[] = []
  for (const service of o.services) {
    const spec = containerSpec(service, settings)
    const hash = specHash(spec, await imageId(docker, spec.image))
    const current = existing.find((c) => c.service === service)
    // A container that runs but fails its health check is replaced too: keeping it would fail every later up.
    const action = !current ? 'created' : current.hash !== hash || current.unhealthy ? 'replaced' : current.state === 'running' ? 'kept' : 'started'
    planned.push({spec, hash, action, ...(current ? {existing: current} : {})})
  }

  // Pre-flight before anything changes: the ports of every container that will start must be free, apart from
  // those its own replaced container holds now.
  const claims = planned
    .filter((p) => p.action !== 'kept')
    .flatMap((p) => p.spec.ports.filter((port) => !p.existing?.ports.some((held) => held.host === port.host) || p.action === 'started').map((port) => ({port: port.host, service: p.spec.service})))
  await checkPorts(docker, o.stack, claims)

  for (const stale of existing.filter((c) => !o.services.includes(c.service))) {
    o.progress('removing (not selected)', stale.service)
    await removeContainer(docker, stale.id)
  }
  await ensureNetwork(docker, o.stack)
  // Started in dependency order without waiting in between: admin retries its store (--store-wait) and the proxy its
  // control plane, so their start-up overlaps PostgreSQL's. The health checks are then awaited in the same order,
  // so a failing dependency is the one reported.
  const ids = new Map<ServiceName, string>()
  const order = waves(o.services)
  for (const wave of order) {
    await Promise.all(
      planned
        .filter((p) => wave.includes(p.spec.service))
        .map(async (p) => {
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
          ids.set(p.spec.service, id!)
        }),
    )
  }
  const stop = {failed: false}
  for (const wave of order) {
    await Promise.all(
      planned
        .filter((p) => wave.includes(p.spec.service))
        .map(async (p) => {
          try {
            if (await waitHealthy(docker, p.spec, ids.get(p.spec.service)!, {deadline, timeoutMs: o.timeoutMs, stop})) o.progress(`healthy${p.action === 'kept' ? ' (unchanged)' : ''}`, p.spec.service)
          } catch (err) {
            // The first failure is the one reported; the other waits end with it.
            stop.failed = true
            throw err
          }
        }),
    )
  }

  const status = await dockerStatus({stack: o.stack, docker})
  // The host reaches the stack through its published ports; give them the rest of the bound to answer.
  while (!status.endpointsHealthy && Date.now() < deadline) {
    await sleep(250)
    Object.assign(status, await dockerStatus({stack: o.stack, docker}))
  }
  if (!status.endpointsHealthy) {
    const failing = status.services.filter((s) => !s.healthy).map((s) => `${s.service}${s.detail ? ` (${s.detail})` : ''}`)
    throw new PrismError(`the stack's containers are healthy but not reachable from this host: ${failing.join(', ')}`, {code: 'UNAVAILABLE', hint: 'prismctl dev status; prismctl dev logs'})
  }

  const bootstrap: string[] = []
  const endpoints = {issuer: issuerFor(o.portOffset), adminEndpoint: status.adminEndpoint!, proxyEndpoint: status.proxyEndpoint ?? ''}
  if (o.services.includes('vault')) {
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
  if (o.services.includes('admin')) {
    const backendServices = (['redis', 'nats', 'kafka', 'postgres'] as const).filter((s) => o.services.includes(s))
    bootstrap.push(...(await registerBackends(endpoints, [MEMSTORE_DEV, ...backendServices.map((s) => dockerBackend(s, o.services.includes('vault')))])))
  }
  const loggedInAs = o.services.includes('admin') ? await connectCli(endpoints, o, env) : undefined
  const actions = Object.fromEntries(planned.map((p) => [p.spec.service, p.action]))
  // Every container passed its health check above (run by us when Docker's own first probe had not come yet, so
  // Docker may still say "starting" for a second); with the endpoints answering, the stack is healthy.
  const healthy = status.endpointsHealthy && status.containers.every((c) => c.state === 'running')
  return {...status, healthy, actions, bootstrap, ...(loggedInAs ? {loggedInAs} : {})}
}
