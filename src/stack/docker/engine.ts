/**
 * Finding the Docker engine the way the docker CLI does: DOCKER_HOST, then the current Docker context
 * (DOCKER_CONTEXT, else currentContext in ~/.docker/config.json), then the usual sockets of Docker Desktop, the
 * Linux daemon, Colima and Podman. The first that answers /_ping wins; none answering is one error listing what was
 * tried. dockerode itself reads only DOCKER_HOST, so contexts and sockets are resolved here.
 */
import {createHash} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'

import type Dockerode from 'dockerode'

import {PrismError} from '../../errors.js'

export interface EngineCandidate {
  /** unix:///path, tcp://host:port, ssh://… */
  host: string
  /** Where the candidate came from, for the error: "DOCKER_HOST", "context colima", "Docker Desktop socket". */
  source: string
}

export interface Engine {
  docker: Dockerode
  host: string
  source: string
}

function dockerConfigDir(env: NodeJS.ProcessEnv): string {
  return env.DOCKER_CONFIG ?? join(homedir(), '.docker')
}

/** The current context's endpoint, or undefined for the "default" context (the sockets then apply). */
function contextHost(env: NodeJS.ProcessEnv): EngineCandidate | undefined {
  const dir = dockerConfigDir(env)
  let name = env.DOCKER_CONTEXT
  if (!name) {
    try {
      name = (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as {currentContext?: string}).currentContext
    } catch {
      return undefined
    }
  }
  if (!name || name === 'default') return undefined
  const meta = join(dir, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'), 'meta.json')
  try {
    const host = (JSON.parse(readFileSync(meta, 'utf8')) as {Endpoints?: {docker?: {Host?: string}}}).Endpoints?.docker?.Host
    return host ? {host, source: `docker context "${name}"`} : undefined
  } catch {
    throw new PrismError(`the current docker context "${name}" has no metadata at ${meta}`, {
      code: 'FAILED_PRECONDITION',
      hint: 'Pick an existing context (docker context ls; docker context use NAME), or set DOCKER_HOST.',
    })
  }
}

/** Every place an engine may listen, in the order they are tried. */
export function engineCandidates(env: NodeJS.ProcessEnv = process.env): EngineCandidate[] {
  if (env.DOCKER_HOST) return [{host: env.DOCKER_HOST, source: 'DOCKER_HOST'}]
  const context = contextHost(env)
  if (context) return [context]
  const home = homedir()
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined
  const runtimeDir = env.XDG_RUNTIME_DIR ?? (uid !== undefined ? `/run/user/${uid}` : undefined)
  const sockets: [string, string][] = [
    [join(home, '.docker/run/docker.sock'), 'Docker Desktop socket'],
    [join(home, '.docker/desktop/docker.sock'), 'Docker Desktop socket'],
    ['/var/run/docker.sock', 'the Docker daemon socket'],
    ...(runtimeDir ? [[join(runtimeDir, 'docker.sock'), 'rootless Docker socket'] as [string, string]] : []),
    [join(home, '.colima/default/docker.sock'), 'Colima socket'],
    ...(runtimeDir ? [[join(runtimeDir, 'podman/podman.sock'), 'Podman (rootless) socket'] as [string, string]] : []),
    ['/run/podman/podman.sock', 'Podman (rootful) socket'],
    [join(home, '.local/share/containers/podman/machine/podman.sock'), 'Podman machine socket (macOS)'],
  ]
  return sockets.map(([path, source]) => ({host: `unix://${path}`, source}))
}

async function connect(candidate: EngineCandidate, env: NodeJS.ProcessEnv): Promise<Dockerode> {
  const {default: Docker} = await import('dockerode')
  const url = new URL(candidate.host)
  // No version: dockerode then uses unversioned paths and the engine's own API version applies (engine 20.10: 1.41).
  if (url.protocol === 'unix:') return new Docker({socketPath: url.pathname})
  if (url.protocol === 'tcp:' || url.protocol === 'http:' || url.protocol === 'https:') {
    const tls = url.protocol === 'https:' || env.DOCKER_TLS_VERIFY === '1' || url.port === '2376'
    const certs = env.DOCKER_CERT_PATH
    return new Docker({
      host: url.hostname,
      port: Number(url.port || (tls ? 2376 : 2375)),
      protocol: tls ? 'https' : 'http',
      ...(tls && certs ? {ca: readFileSync(join(certs, 'ca.pem')), cert: readFileSync(join(certs, 'cert.pem')), key: readFileSync(join(certs, 'key.pem'))} : {}),
    })
  }
  if (url.protocol === 'ssh:') return new Docker({protocol: 'ssh', host: url.hostname, port: Number(url.port || 22), ...(url.username ? {username: url.username} : {})})
  throw new PrismError(`unsupported Docker host ${candidate.host} (from ${candidate.source})`, {code: 'INVALID_ARGUMENT', hint: 'Use unix:///path/to/docker.sock, tcp://HOST:PORT or ssh://USER@HOST.'})
}

function why(err: unknown): string {
  const e = err as {code?: string; message?: string}
  if (e.code === 'ENOENT') return 'no such socket'
  if (e.code === 'EACCES') return 'permission denied (is your user in the docker group?)'
  if (e.code === 'ECONNREFUSED') return 'connection refused'
  return e.code ?? e.message ?? String(err)
}

/** The first candidate whose /_ping answers within timeoutMs. */
export async function findEngine(env: NodeJS.ProcessEnv = process.env, timeoutMs = 3000): Promise<Engine> {
  const tried: string[] = []
  for (const candidate of engineCandidates(env)) {
    const path = candidate.host.startsWith('unix://') ? candidate.host.slice('unix://'.length) : undefined
    if (path && !existsSync(path)) {
      tried.push(`${candidate.host} (${candidate.source}): no such socket`)
      continue
    }
    try {
      const docker = await connect(candidate, env)
      await Promise.race([docker.ping(), new Promise((_, reject) => setTimeout(() => reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), {code: 'timeout'})), timeoutMs).unref())])
      return {docker, host: candidate.host, source: candidate.source}
    } catch (err) {
      if (err instanceof PrismError) throw err
      tried.push(`${candidate.host} (${candidate.source}): ${why(err)}`)
    }
  }
  throw new PrismError('no Docker engine answers', {
    code: 'UNAVAILABLE',
    details: ['tried:', ...tried.map((t) => `  ${t}`)],
    hint: 'Start Docker (Docker Desktop, `sudo dockerd`, `colima start`, or `systemctl --user start podman.socket`), or point DOCKER_HOST at it. prismctl dev up --embedded needs no Docker at all.',
  })
}
