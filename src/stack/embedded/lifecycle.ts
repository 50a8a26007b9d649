/**
 * `prismctl dev up|status|down --embedded`: start the stack's one background process (detached, output to a log
 * file), wait until every service answers, then write the `dev` context and log in as the admin test user; find
 * it again by its pid file; stop it.
 */
import {spawn} from 'node:child_process'
import {closeSync, openSync, rmSync, writeFileSync} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'

import {ensurePrivateDir, writeFileAtomic} from '../../config/files.js'
import {PrismError} from '../../errors.js'
import {connectCli, DEV_CONTEXT} from '../bootstrap.js'
import {renderDexConfig} from '../dex-config.js'
import {probeStack, type ServiceHealth} from '../health.js'
import {checkPortsFree} from '../ports.js'
import {tailLines} from './logs.js'
import {embeddedPaths, pidState, processAlive, readState, removePid, RUNNER_ARGV, SERVICE_NAMES, stateFor, writePid, writeState, type EmbeddedPorts, type EmbeddedState, type EmbeddedPaths} from './state.js'


export interface UpOptions {
  ports: EmbeddedPorts
  timeoutMs: number
  context: boolean
  login: boolean
  /** The CLI to run the stack's process with (bin/run.js). */
  cliEntry: string
  env?: NodeJS.ProcessEnv
  progress: (line: string) => void
}

export interface StackStatus {
  stack: 'embedded'
  running: boolean
  pid?: number
  /** A pid file was left by a process that is gone (and was removed). */
  stale?: boolean
  healthy: boolean
  startedAt?: string
  issuer?: string
  adminEndpoint?: string
  proxyEndpoint?: string
  metricsEndpoint?: string
  services: ServiceHealth[]
  log: string
  context: string
}

export interface UpResult extends StackStatus {
  alreadyRunning: boolean
  loggedInAs?: string
}

function statusOf(paths: EmbeddedPaths, state: EmbeddedState | undefined, pid: number | undefined, services: ServiceHealth[], stale = false): StackStatus {
  return {
    stack: 'embedded',
    running: pid !== undefined,
    ...(pid !== undefined ? {pid} : {}),
    ...(stale ? {stale} : {}),
    healthy: pid !== undefined && services.length > 0 && services.every((s) => s.healthy),
    ...(state ? {startedAt: state.startedAt, issuer: state.issuer, adminEndpoint: state.adminEndpoint, proxyEndpoint: state.proxyEndpoint, metricsEndpoint: state.metricsEndpoint} : {}),
    services,
    log: paths.log,
    context: DEV_CONTEXT,
  }
}

export async function embeddedStatus(env: NodeJS.ProcessEnv = process.env): Promise<StackStatus> {
  const paths = embeddedPaths(env)
  const pid = pidState(paths)
  const state = readState(paths)
  if (pid.state === 'stale') removePid(paths)
  if (pid.state !== 'running' || !state) return statusOf(paths, state, undefined, [], pid.state === 'stale')
  return statusOf(paths, state, pid.pid, await probeStack(state))
}


/** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
async function stopProcess(pid: number, graceMs: number): Promise<'stopped' | 'killed'> {
  try {
    process.kill(pid, 'SIGTERM')
  } catch {
    return 'stopped'
  }
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    if (!processAlive(pid)) return 'stopped'
    await sleep(100)
  }
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // gone meanwhile
  }
  while (processAlive(pid)) await sleep(50)
  return 'killed'
}

async function waitHealthy(state: EmbeddedState, exited: () => boolean, timeoutMs: number): Promise<ServiceHealth[]> {
  const deadline = Date.now() + timeoutMs
  let services: ServiceHealth[] = []
  // At least one probe, however short the bound.
  while (!exited() && (services.length === 0 || Date.now() < deadline)) {
    services = await probeStack(state, 1000)
    if (services.every((s) => s.healthy)) return services
    await sleep(200)
  }
  return services
}

function startFailure(paths: EmbeddedPaths, what: string): PrismError {
  const tail = tailLines(paths.log, 30)
  return new PrismError(what, {
    code: 'UNAVAILABLE',
    details: tail.length > 0 ? [`last ${tail.length} lines of ${paths.log}:`, ...tail.map((l) => `  ${l}`)] : [],
    hint: `See the whole log: prismctl dev logs --embedded (${paths.log})`,
  })
}

export async function embeddedUp(options: UpOptions): Promise<UpResult> {
  const env = options.env ?? process.env
  const paths = embeddedPaths(env)
  const existing = pidState(paths)
  if (existing.state === 'running') {
    const state = readState(paths)
    return {...statusOf(paths, state, existing.pid, state ? await probeStack(state) : []), alreadyRunning: true}
  }
  if (existing.state === 'stale') {
    options.progress(`removing the stale pid file of a stack that is gone (pid ${existing.pid})`)
    removePid(paths)
  }
  await checkPortsFree((Object.keys(SERVICE_NAMES) as (keyof EmbeddedPorts)[]).map((k) => ({port: options.ports[k], service: SERVICE_NAMES[k]})))

  ensurePrivateDir(paths.dir)
  const state = stateFor(options.ports)
  writeFileAtomic(paths.dexConfig, await renderDexConfig({issuer: state.issuer, listen: `127.0.0.1:${options.ports.issuer}`}))
  writeState(paths, state)
  // One log per run: what `dev logs` shows is this stack's.
  writeFileSync(paths.log, '', {mode: 0o600})
  const logFd = openSync(paths.log, 'a')
  const childEnv = {...env}
  // The stack logs in on its own; the caller's token or CA bundle must not leak into it.
  delete childEnv.PRISM_TOKEN
  delete childEnv.NODE_EXTRA_CA_CERTS
  options.progress('starting the issuer, the control plane and the proxy')
  const child = spawn(process.execPath, [options.cliEntry, ...RUNNER_ARGV], {detached: true, stdio: ['ignore', logFd, logFd], env: childEnv})
  closeSync(logFd)
  let exited = false
  child.once('exit', () => (exited = true))
  writePid(paths, child.pid!)
  child.unref()

  const services = await waitHealthy(state, () => exited, options.timeoutMs)
  if (services.length === 0 || !services.every((s) => s.healthy)) {
    const died = exited
    if (!died) await stopProcess(child.pid!, 5000)
    removePid(paths, child.pid)
    const failing = services.filter((s) => !s.healthy).map((s) => `${s.service}${s.detail ? ` (${s.detail})` : ''}`)
    throw startFailure(paths, died ? 'the embedded stack stopped while starting' : `the embedded stack did not get healthy within ${options.timeoutMs / 1000} s; not answering: ${failing.join(', ')}`)
  }

  const loggedInAs = await connectCli(state, options, env)
  return {...statusOf(paths, state, child.pid, services), alreadyRunning: false, ...(loggedInAs ? {loggedInAs} : {})}
}

export interface DownResult {
  stack: 'embedded'
  /** stopped: SIGTERM sufficed; killed: it had to be SIGKILLed; stale: only a pid file was left; none: not running. */
  outcome: 'stopped' | 'killed' | 'stale' | 'none'
  pid?: number
}

export async function embeddedDown(env: NodeJS.ProcessEnv = process.env): Promise<DownResult> {
  const paths = embeddedPaths(env)
  const pid = pidState(paths)
  if (pid.state === 'none') return {stack: 'embedded', outcome: 'none'}
  if (pid.state === 'stale') {
    removePid(paths)
    return {stack: 'embedded', outcome: 'stale', pid: pid.pid}
  }
  const outcome = await stopProcess(pid.pid, 15_000)
  rmSync(paths.pid, {force: true})
  return {stack: 'embedded', outcome, pid: pid.pid}
}
