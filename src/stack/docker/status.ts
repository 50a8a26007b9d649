/**
 * `prismctl dev status` for the Docker stack: its containers found by label (state and health check), the
 * endpoints read from what they publish, and whether the issuer, control plane and proxy answer from this host.
 */
import type Dockerode from 'dockerode'

import {probeStack, type ServiceHealth} from '../health.js'
import {DEV_CONTEXT} from '../bootstrap.js'
import {healthOf, listStackContainers, probeNow, type HealthState} from './containers.js'
import {findEngine} from './engine.js'
import {SERVICES} from './services.js'

export interface ContainerStatus {
  service: string
  name: string
  id: string
  state: string
  health: string
  /** "127.0.0.1:5556->5556" …, empty when nothing is published. */
  published: string[]
  lastProbe?: string
}

export interface DockerStatus {
  stack: 'docker'
  name: string
  running: boolean
  /** Every container runs and passes its health check, and the published services answer. */
  healthy: boolean
  endpointsHealthy: boolean
  issuer?: string
  adminEndpoint?: string
  proxyEndpoint?: string
  metricsEndpoint?: string
  vaultAddress?: string
  containers: ContainerStatus[]
  /** The host-side probes of the issuer, control plane and proxy. */
  services: ServiceHealth[]
  context: string
}

/**
 * `docker`: an engine already found (dev up asks again and again while it waits); else it is looked for.
 * `passed`: services whose health check dev up has just seen pass (not run again here).
 */
export async function dockerStatus(options: {stack: string; env?: NodeJS.ProcessEnv; docker?: Dockerode; passed?: ReadonlySet<string>}): Promise<DockerStatus> {
  const docker = options.docker ?? (await findEngine(options.env)).docker
  const found = (await listStackContainers(docker, options.stack)).sort((a, b) => SERVICES.indexOf(a.service) - SERVICES.indexOf(b.service))
  const containers = await Promise.all(
    found.map(async (c): Promise<ContainerStatus> => {
      const h = await healthOf(docker, c.id).catch(() => ({state: c.state, health: 'none'}) as HealthState)
      // Docker probes every 10 s (its first probe comes 10 s after the start): until then, the check is run now.
      if (h.state === 'running' && h.health === 'starting' && (options.passed?.has(c.service) || (h.test && (await probeNow(docker, c.id, h.test, 5000))))) Object.assign(h, {health: 'healthy', lastProbe: undefined})
      return {service: c.service, name: c.name, id: c.id.slice(0, 12), state: h.state, health: h.health, published: c.ports.map((p) => `127.0.0.1:${p.host}->${p.container}`), ...(h.lastProbe && h.health !== 'healthy' ? {lastProbe: h.lastProbe} : {})}
    }),
  )
  const hostPort = (service: string, container: number) => found.find((c) => c.service === service && c.state === 'running')?.ports.find((p) => p.container === container)?.host
  const dex = hostPort('dex', 5556)
  const admin = hostPort('admin', 8981)
  const proxy = hostPort('proxy', 50090)
  const metrics = hostPort('proxy', 50091)
  const vault = hostPort('vault', 8200)
  const endpoints = {
    ...(dex ? {issuer: `http://localhost:${dex}/dex`} : {}),
    ...(admin ? {adminEndpoint: `127.0.0.1:${admin}`} : {}),
    ...(proxy ? {proxyEndpoint: `127.0.0.1:${proxy}`} : {}),
    ...(metrics ? {metricsEndpoint: `127.0.0.1:${metrics}`} : {}),
    ...(vault ? {vaultAddress: `http://127.0.0.1:${vault}`} : {}),
  }
  const probes = await probeStack(endpoints)
  const endpointsHealthy = probes.every((p) => p.healthy)
  const running = containers.some((c) => c.state === 'running')
  const containersHealthy = containers.length > 0 && containers.every((c) => c.state === 'running' && (c.health === 'healthy' || c.health === 'none'))
  return {stack: 'docker', name: options.stack, running, healthy: containersHealthy && endpointsHealthy, endpointsHealthy, ...endpoints, containers, services: probes, context: DEV_CONTEXT}
}
