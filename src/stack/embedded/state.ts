/**
 * Where the embedded stack keeps its files (<config dir>/dev/embedded/) and how a later command finds out whether
 * the stack's process still runs: a pid file, checked against the process table so that a pid reused by another
 * program after a crash is never taken for ours.
 */
import {existsSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'

import {configDir, writeFileAtomic} from '../../config/files.js'

export interface EmbeddedPorts {
  issuer: number
  admin: number
  proxy: number
  metrics: number
}

/** The same host ports as the Docker stack. */
export const DEFAULT_PORTS: EmbeddedPorts = {issuer: 5556, admin: 8981, proxy: 50090, metrics: 50091}

export const SERVICE_NAMES: Record<keyof EmbeddedPorts, string> = {issuer: 'issuer', admin: 'control plane', proxy: 'proxy', metrics: 'proxy metrics'}

export interface EmbeddedState {
  version: 1
  ports: EmbeddedPorts
  issuer: string
  adminEndpoint: string
  proxyEndpoint: string
  metricsEndpoint: string
  startedAt: string
}

export interface EmbeddedPaths {
  dir: string
  pid: string
  log: string
  state: string
  dexConfig: string
  store: string
}

export function embeddedPaths(env: NodeJS.ProcessEnv = process.env): EmbeddedPaths {
  const dir = join(configDir(env), 'dev', 'embedded')
  return {dir, pid: join(dir, 'stack.pid'), log: join(dir, 'stack.log'), state: join(dir, 'stack.json'), dexConfig: join(dir, 'dex.yaml'), store: join(dir, 'controlplane.db')}
}

export function stateFor(ports: EmbeddedPorts): EmbeddedState {
  return {
    version: 1,
    ports,
    issuer: `http://localhost:${ports.issuer}/dex`,
    adminEndpoint: `127.0.0.1:${ports.admin}`,
    proxyEndpoint: `127.0.0.1:${ports.proxy}`,
    metricsEndpoint: `127.0.0.1:${ports.metrics}`,
    startedAt: new Date().toISOString(),
  }
}

export function writeState(paths: EmbeddedPaths, state: EmbeddedState): void {
  writeFileAtomic(paths.state, `${JSON.stringify(state, null, 2)}\n`)
}

export function readState(paths: EmbeddedPaths): EmbeddedState | undefined {
  try {
    return JSON.parse(readFileSync(paths.state, 'utf8')) as EmbeddedState
  } catch {
    return undefined
  }
}

/** The hidden command the stack's process runs; its command line identifies it. */
export const RUNNER_ARGV = ['dev', 'run-embedded']

/**
 * Whether the process exists and has not exited. A detached stack is reparented to init once `dev up` returns, and
 * an exited one stays a zombie (which signal 0 still reaches) until init reaps it.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  try {
    // /proc/PID/stat: "pid (comm) S …"; comm may contain spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true // no /proc (macOS): signal 0 is all there is
  }
}

function isOurs(pid: number): boolean {
  if (!processAlive(pid)) return false
  const cmdline = `/proc/${pid}/cmdline`
  // Without /proc (macOS) a live pid from our own pid file is trusted.
  if (!existsSync('/proc/self/cmdline')) return true
  try {
    return readFileSync(cmdline, 'utf8').split('\0').join(' ').includes(RUNNER_ARGV.join(' '))
  } catch {
    return false
  }
}

export type PidState = {state: 'running'; pid: number} | {state: 'stale'; pid: number} | {state: 'none'}

export function pidState(paths: EmbeddedPaths): PidState {
  let text: string
  try {
    text = readFileSync(paths.pid, 'utf8').trim()
  } catch {
    return {state: 'none'}
  }
  const pid = Number(text)
  if (!Number.isInteger(pid) || pid <= 0) return {state: 'stale', pid: 0}
  return isOurs(pid) ? {state: 'running', pid} : {state: 'stale', pid}
}

export function writePid(paths: EmbeddedPaths, pid: number): void {
  writeFileAtomic(paths.pid, `${pid}\n`)
}

/** Removes the pid file if it still names this pid (a newer stack may have replaced it). */
export function removePid(paths: EmbeddedPaths, pid?: number): void {
  if (pid !== undefined) {
    const current = Number(existsSync(paths.pid) ? readFileSync(paths.pid, 'utf8').trim() : Number.NaN)
    if (current !== pid) return
  }
  rmSync(paths.pid, {force: true})
}
