/**
 * Waiting for the Docker stack's services to pass their health checks, all at once: Docker's own verdict, or the
 * same check run by us without waiting for Docker's interval (from the host through the published port every
 * 200 ms; else by `docker exec` every 500 ms, which costs a process start in the container each time).
 *
 * Services are reported healthy in dependency order, and a timeout names the root cause: when a service is not
 * healthy in time while something it needs has not passed either, that is the service reported (an exit or an
 * unhealthy verdict is the service's own). A service started in this run whose readiness proves another's
 * (READY_IMPLIES: admin serves only once its store is open) passes that one too, so PostgreSQL's exec probe, every
 * second then, is not what the stack waits for.
 */
import type Dockerode from 'dockerode'

import {PrismError} from '../../errors.js'
import {probeStack} from '../health.js'
import {checkNow, healthOf, logLines, type CheckRun} from './containers.js'
import {DEPENDS_ON, READY_IMPLIES, START_ORDER, type ContainerSpec, type ServiceName} from './services.js'

export interface StackService {
  spec: ContainerSpec
  /** The container's id once it is started. */
  id: Promise<string>
  kept: boolean
}

export interface Readiness {
  /** Resolves once every given service (of those in the stack) is reported healthy; rejects with the failure. */
  ready(services: readonly ServiceName[]): Promise<void>
  /** Ends the waits: something beside them failed with `reason`, which ready() rejects with from now on. */
  stop(reason: unknown): void
}

/** `lastCheck`: our own last run of its health check, which is newer than Docker's when there is one. */
async function failure(docker: Dockerode, service: string, id: string | undefined, what: string, lastCheck: string | undefined): Promise<PrismError> {
  const [lines, health] = id ? await Promise.all([logLines(docker, id, {tail: 30}).catch(() => []), healthOf(docker, id).catch(() => undefined)]) : [[], undefined]
  const last = lastCheck ?? health?.lastProbe
  return new PrismError(`${service} ${what}`, {
    code: 'UNAVAILABLE',
    details: [
      ...(last ? [`last health check: ${last}`] : []),
      ...(lines.length > 0 ? [`last ${lines.length} log lines of ${service}:`, ...lines.map((l) => `  ${l}`)] : [`${service} logged nothing`]),
    ],
    hint: `What started stays up: prismctl dev logs ${service}, prismctl dev status; prismctl dev down removes it.`,
  })
}

/** For what the stack publishes, its readiness asked from this host through the port; undefined for the rest. */
function hostProbe(spec: ContainerSpec): (() => Promise<CheckRun>) | undefined {
  const host = (container: number) => spec.ports.find((p) => p.container === container)?.host
  const endpoints =
    spec.service === 'dex' ? {issuer: `http://localhost:${host(5556)}/dex`}
    : spec.service === 'admin' ? {adminEndpoint: `127.0.0.1:${host(8981)}`}
    : spec.service === 'proxy' ? {proxyEndpoint: `127.0.0.1:${host(50090)}`, metricsEndpoint: `127.0.0.1:${host(50091)}`}
    : undefined
  return endpoints && (async () => {
    const failing = (await probeStack(endpoints, 1000)).filter((p) => !p.healthy)
    return {ok: failing.length === 0, detail: failing.map((p) => `${p.endpoint} from this host: ${p.detail}`).join('; ')}
  })
}

export function awaitReadiness(docker: Dockerode, services: StackService[], o: {deadline: number; timeoutMs: number; progress: (text: string, item?: string) => void}): Readiness {
  const inStack = new Map(services.map((s) => [s.spec.service, s]))
  const ids = new Map<ServiceName, string>()
  const lastCheck = new Map<ServiceName, string>()
  const passed = new Set<ServiceName>()
  // Not reported yet: each service's resolver of its `reported` promise.
  const unreported = new Map<ServiceName, () => void>()
  const reported = new Map<ServiceName, Promise<void>>()
  for (const s of inStack.keys()) reported.set(s, new Promise<void>((resolve) => unreported.set(s, resolve)))
  let stopped = false
  let rejectFailed!: (err: unknown) => void
  const failed = new Promise<never>((_, reject) => (rejectFailed = reject))
  failed.catch(() => undefined)
  const sleepers = new Set<() => void>()
  const wake = () => {
    for (const wakeUp of sleepers) wakeUp()
  }

  const needs = (s: ServiceName): ServiceName[] => DEPENDS_ON[s].filter((d) => inStack.has(d)).flatMap((d) => [d, ...needs(d)])
  const byStartOrder = (a: ServiceName, b: ServiceName) => START_ORDER.indexOf(a) - START_ORDER.indexOf(b)
  const provenBy = (s: ServiceName) => [...inStack.keys()].filter((p) => READY_IMPLIES[p]?.includes(s) && !inStack.get(p)!.kept)

  const pass = (s: ServiceName) => {
    if (stopped) return
    // A kept container's verdict may predate what it needs being replaced now: it proves only itself.
    for (const implied of [s, ...(inStack.get(s)!.kept ? [] : (READY_IMPLIES[s] ?? []))]) if (inStack.has(implied)) passed.add(implied)
    // Report in dependency order: a service once everything it needs is reported.
    for (let progress = true; progress; ) {
      progress = false
      for (const r of [...inStack.keys()].sort(byStartOrder)) {
        if (!unreported.has(r) || !passed.has(r) || DEPENDS_ON[r].some((d) => unreported.has(d))) continue
        o.progress(`healthy${inStack.get(r)!.kept ? ' (unchanged)' : ''}`, r)
        unreported.get(r)!()
        unreported.delete(r)
        progress = true
      }
    }
    wake()
  }

  const fail = async (s: ServiceName, what: string, timedOut = false) => {
    if (stopped) return
    stopped = true
    const culprit = timedOut ? needs(s).sort(byStartOrder).find((d) => !passed.has(d)) : undefined
    const named = culprit ?? s
    rejectFailed(await failure(docker, named, ids.get(named), culprit ? `is not healthy, and ${s}, which needs it, ${what}` : what, lastCheck.get(named)))
    wake()
  }

  // A sleep that ends early when anything passes or fails.
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const wakeUp = () => {
        clearTimeout(timer)
        sleepers.delete(wakeUp)
        resolve()
      }
      const timer = setTimeout(wakeUp, ms)
      sleepers.add(wakeUp)
    })

  // On a machine of two cores every poll takes from what is starting: the engine is asked for the container's
  // state once a second where a probe from the host answers the rest of the time.
  const watch = async ({spec}: StackService, id: string) => {
    const s = spec.service
    ids.set(s, id)
    const fromHost = hostProbe(spec)
    for (let inspectedAt = 0; !stopped && !passed.has(s); ) {
      if (!fromHost || Date.now() - inspectedAt >= 1000) {
        const h = await healthOf(docker, id)
        inspectedAt = Date.now()
        if (h.state === 'exited' || h.state === 'dead') return fail(s, `exited (code ${h.exitCode ?? '?'}) while starting`)
        if (h.health === 'unhealthy') return fail(s, 'is unhealthy')
        if (h.health === 'healthy') return pass(s)
      }
      const check = fromHost ? await fromHost() : await checkNow(docker, id, spec.health.test, Math.min(spec.health.timeoutMs, Math.max(1000, o.deadline - Date.now())))
      if (check.ok) return pass(s)
      lastCheck.set(s, check.detail)
      if (Date.now() > o.deadline) return fail(s, `did not get healthy within ${o.timeoutMs / 1000} s (--timeout)`, true)
      // By exec less often where another service's readiness will prove this one's.
      await sleep(fromHost ? 200 : provenBy(s).length > 0 ? 1000 : 500)
    }
  }

  for (const service of services) {
    service.id.then((id) => watch(service, id)).catch((err: unknown) => {
      stopped = true
      rejectFailed(err)
      wake()
    })
  }

  return {
    ready: (list) => Promise.race([Promise.all(list.filter((s) => inStack.has(s)).map((s) => reported.get(s))).then(() => undefined), failed]),
    stop(reason) {
      stopped = true
      rejectFailed(reason)
      wake()
    },
  }
}
