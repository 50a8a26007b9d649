/**
 * The stack's Docker objects through dockerode: everything carries labels (dev.prism.stack, dev.prism.service,
 * dev.prism.hash), and is found again by them alone, with no state file (the Supabase CLI's model). Engine errors
 * become PrismErrors here, at the edge.
 */
import {PassThrough} from 'node:stream'

import type Dockerode from 'dockerode'

import {PrismError} from '../../errors.js'
import type {ContainerSpec, ServiceName} from './services.js'

export const LABEL_STACK = 'dev.prism.stack'
export const LABEL_SERVICE = 'dev.prism.service'
export const LABEL_HASH = 'dev.prism.hash'

export const containerName = (stack: string, service: string) => `prism-${stack}-${service}`
export const networkName = (stack: string) => `prism-${stack}`

export interface StackContainer {
  id: string
  name: string
  service: ServiceName
  hash: string
  /** running, exited, created, restarting, dead … */
  state: string
  /** Running but failing its health check. */
  unhealthy: boolean
  /** Published ports: container port → host port (on 127.0.0.1). */
  ports: {container: number; host: number}[]
}

/** Turns an engine error into a PrismError naming what was being done. */
export function engineError(doing: string, err: unknown): PrismError {
  if (err instanceof PrismError) return err
  const e = err as {statusCode?: number; json?: {message?: string}; message?: string}
  const message = e.json?.message ?? e.message ?? String(err)
  return new PrismError(`${doing}: ${message.trim()}`, {code: e.statusCode === 404 ? 'NOT_FOUND' : e.statusCode === 409 ? 'ALREADY_EXISTS' : 'UNAVAILABLE', cause: err})
}

export async function listStackContainers(docker: Dockerode, stack: string): Promise<StackContainer[]> {
  const list = await docker.listContainers({all: true, filters: {label: [`${LABEL_STACK}=${stack}`]}}).catch((err) => {
    throw engineError('listing the stack\'s containers', err)
  })
  return list.map((c) => ({
    id: c.Id,
    name: (c.Names[0] ?? '').replace(/^\//, ''),
    service: c.Labels[LABEL_SERVICE] as ServiceName,
    hash: c.Labels[LABEL_HASH] ?? '',
    state: c.State,
    unhealthy: c.Status.includes('(unhealthy)'),
    ports: c.Ports.filter((p) => p.PublicPort).map((p) => ({container: p.PrivatePort, host: p.PublicPort})),
  }))
}

/** Every container on the engine publishing a host port, for naming the holder of a busy port. */
export async function containersByHostPort(docker: Dockerode): Promise<Map<number, {name: string; stack?: string}>> {
  const byPort = new Map<number, {name: string; stack?: string}>()
  for (const c of await docker.listContainers()) {
    for (const p of c.Ports) {
      if (p.PublicPort) byPort.set(p.PublicPort, {name: (c.Names[0] ?? '').replace(/^\//, ''), ...(c.Labels[LABEL_STACK] ? {stack: c.Labels[LABEL_STACK]} : {})})
    }
  }
  return byPort
}

export async function ensureNetwork(docker: Dockerode, stack: string): Promise<void> {
  const name = networkName(stack)
  const existing = await docker.listNetworks({filters: {name: [name]}})
  if (existing.some((n) => n.Name === name)) return
  await docker.createNetwork({Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: {[LABEL_STACK]: stack}}).catch((err) => {
    throw engineError(`creating the network ${name}`, err)
  })
}

/** A tar holding each file (ustar, one 512-byte header per file), for putArchive. */
function tarOf(files: {path: string; content: string}[]): Buffer {
  const blocks: Buffer[] = []
  for (const file of files) {
    const body = Buffer.from(file.content)
    const header = Buffer.alloc(512)
    const name = file.path.replace(/^\//, '')
    if (Buffer.byteLength(name) > 100) throw new PrismError(`file path too long for the archive: ${file.path}`, {code: 'INTERNAL'})
    header.write(name, 0)
    header.write('0000644\0', 100)
    header.write('0000000\0', 108)
    header.write('0000000\0', 116)
    header.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124)
    header.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136)
    header.write('        ', 148)
    header.write('0', 156)
    header.write('ustar\0', 257)
    header.write('00', 263)
    let sum = 0
    for (const byte of header) sum += byte
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148)
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512))
  }
  blocks.push(Buffer.alloc(1024))
  return Buffer.concat(blocks)
}

const ns = (ms: number) => ms * 1_000_000

/** Creates (not starts) the service's container, with its files in place. */
export async function createContainer(docker: Dockerode, stack: string, spec: ContainerSpec, hash: string): Promise<string> {
  const name = containerName(stack, spec.service)
  const exposed = Object.fromEntries(spec.ports.map((p) => [`${p.container}/tcp`, {}]))
  const bindings = Object.fromEntries(spec.ports.map((p) => [`${p.container}/tcp`, [{HostIp: '127.0.0.1', HostPort: String(p.host)}]]))
  try {
    const container = await docker.createContainer({
      name,
      Image: spec.image,
      ...(spec.entrypoint ? {Entrypoint: spec.entrypoint} : {}),
      ...(spec.cmd ? {Cmd: spec.cmd} : {}),
      Env: spec.env,
      Labels: {[LABEL_STACK]: stack, [LABEL_SERVICE]: spec.service, [LABEL_HASH]: hash},
      ExposedPorts: exposed,
      Healthcheck: {Test: spec.health.test, Interval: ns(spec.health.intervalMs), Timeout: ns(spec.health.timeoutMs), Retries: spec.health.retries, StartPeriod: ns(spec.health.startPeriodMs)},
      HostConfig: {
        PortBindings: bindings,
        Binds: spec.volumes.map((v) => `${v.name}:${v.target}`),
        CapAdd: spec.capAdd,
        RestartPolicy: {Name: 'no'},
        ...(spec.cpuShares ? {CpuShares: spec.cpuShares} : {}),
        NetworkMode: networkName(stack),
      },
      NetworkingConfig: {EndpointsConfig: {[networkName(stack)]: {Aliases: [spec.service]}}},
    })
    if (spec.files.length > 0) {
      // A container without its files must not stay: with the right labels and hash, the next up would start it.
      await container.putArchive(tarOf(spec.files), {path: '/'}).catch(async (err: unknown) => {
        await container.remove({force: true}).catch(() => {})
        throw err
      })
    }
    return container.id
  } catch (err) {
    throw engineError(`creating the ${spec.service} container`, err)
  }
}

export async function ensureVolumes(docker: Dockerode, stack: string, spec: ContainerSpec): Promise<void> {
  for (const v of spec.volumes) {
    try {
      await docker.getVolume(v.name).inspect()
    } catch {
      await docker.createVolume({Name: v.name, Labels: {[LABEL_STACK]: stack, [LABEL_SERVICE]: spec.service}}).catch((err) => {
        throw engineError(`creating the volume ${v.name}`, err)
      })
    }
  }
}

export async function startContainer(docker: Dockerode, id: string, service: string): Promise<void> {
  await docker
    .getContainer(id)
    .start()
    .catch((err: {statusCode?: number}) => {
      if (err.statusCode === 304) return // already running
      throw engineError(`starting the ${service} container`, err)
    })
}

export async function removeContainer(docker: Dockerode, id: string): Promise<void> {
  await docker
    .getContainer(id)
    // v: the image's anonymous volumes go with it (they carry no label to find later); named data volumes stay.
    .remove({force: true, v: true})
    .catch((err: {statusCode?: number}) => {
      if (err.statusCode === 404) return
      throw engineError('removing a container', err)
    })
}

export interface HealthState {
  state: string
  /** none, starting, healthy, unhealthy */
  health: string
  exitCode?: number
  /** The last health probe's output. */
  lastProbe?: string
  /** The health-check command (Docker's form: CMD …, CMD-SHELL …). */
  test?: string[]
}

export async function healthOf(docker: Dockerode, id: string): Promise<HealthState> {
  const info = await docker.getContainer(id).inspect()
  const health = info.State.Health
  const last = health?.Log?.at(-1)
  return {
    state: info.State.Status,
    health: health?.Status ?? 'none',
    ...(info.State.Status === 'exited' ? {exitCode: info.State.ExitCode} : {}),
    ...(last ? {lastProbe: `exit ${last.ExitCode}${last.Output?.trim() ? `: ${last.Output.trim()}` : ''}`} : {}),
    ...(info.Config.Healthcheck?.Test ? {test: info.Config.Healthcheck.Test} : {}),
  }
}

/** What one run of a health check gave: its exit code (none when it could not run or timed out) and output. */
export interface CheckRun {
  ok: boolean
  /** "exit 1: …", as Docker's health log says it. */
  detail: string
}

/**
 * Runs the container's health-check command now, as Docker would at its next interval (engine 20.10 has no start
 * interval, so the first probe would come only after a whole interval).
 */
export async function checkNow(docker: Dockerode, id: string, test: string[], timeoutMs: number): Promise<CheckRun> {
  let timer: NodeJS.Timeout | undefined
  // A check that hangs in the container must not hold this process: its output stream is closed at the timeout.
  const run: {stream?: {destroy(): void}; done: boolean} = {done: false}
  const timeout = new Promise<CheckRun>((resolve) => (timer = setTimeout(() => resolve({ok: false, detail: `no answer within ${timeoutMs} ms`}), timeoutMs)))
  return Promise.race([runCheck(docker, id, test, run), timeout]).finally(() => {
    clearTimeout(timer)
    run.done = true
    run.stream?.destroy()
  })
}

/** True when the container's health check passes now. */
export async function probeNow(docker: Dockerode, id: string, test: string[], timeoutMs: number): Promise<boolean> {
  return (await checkNow(docker, id, test, timeoutMs)).ok
}

async function runCheck(docker: Dockerode, id: string, test: string[], run: {stream?: {destroy(): void}; done: boolean}): Promise<CheckRun> {
  const cmd = test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', test[1]!] : test.slice(1)
  try {
    const exec = await docker.getContainer(id).exec({Cmd: cmd, AttachStdout: true, AttachStderr: true})
    const stream = await exec.start({hijack: true, stdin: false})
    run.stream = stream
    if (run.done) stream.destroy()
    const chunks: Buffer[] = []
    await new Promise<void>((resolve) => {
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', resolve)
      stream.on('close', resolve)
      stream.on('error', () => resolve())
    })
    const exitCode = (await exec.inspect()).ExitCode
    const output = demuxBuffer(Buffer.concat(chunks)).join(' ').trim()
    return {ok: exitCode === 0, detail: `exit ${exitCode ?? '?'}${output ? `: ${output.slice(0, 300)}` : ''}`}
  } catch (err) {
    // Not running (yet, or any more): the caller looks at the state.
    return {ok: false, detail: `could not run: ${(err as Error).message}`}
  }
}

/** The container's log lines (stdout and stderr, demultiplexed), oldest first. */
export async function logLines(docker: Dockerode, id: string, options: {tail?: number; since?: number; timestamps?: boolean}): Promise<string[]> {
  const raw = (await docker.getContainer(id).logs({stdout: true, stderr: true, follow: false, timestamps: options.timestamps ?? false, ...(options.tail !== undefined ? {tail: options.tail} : {}), ...(options.since !== undefined ? {since: options.since} : {})})) as Buffer
  return demuxBuffer(raw)
}

/** Non-TTY logs come framed: 8-byte headers (stream, 0, 0, 0, size as uint32 BE) before each chunk. */
function demuxBuffer(buf: Buffer): string[] {
  const chunks: Buffer[] = []
  let offset = 0
  while (offset + 8 <= buf.length) {
    const size = buf.readUInt32BE(offset + 4)
    chunks.push(buf.subarray(offset + 8, offset + 8 + size))
    offset += 8 + size
  }
  return Buffer.concat(chunks).toString('utf8').split('\n').filter((l) => l.length > 0)
}

/** Follows a container's log until the signal aborts it, one line at a time. */
export async function followLog(docker: Dockerode, id: string, options: {tail?: number; since?: number; timestamps?: boolean; signal: AbortSignal}, onLine: (line: string) => void): Promise<void> {
  const stream = (await docker.getContainer(id).logs({stdout: true, stderr: true, follow: true, timestamps: options.timestamps ?? false, ...(options.tail !== undefined ? {tail: options.tail} : {}), ...(options.since !== undefined ? {since: options.since} : {})})) as NodeJS.ReadableStream & {destroy(): void}
  const out = new PassThrough()
  docker.modem.demuxStream(stream, out, out)
  let pending = ''
  out.on('data', (chunk: Buffer) => {
    const text = pending + chunk.toString('utf8')
    const lines = text.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) onLine(line)
  })
  await new Promise<void>((resolve) => {
    const done = () => {
      stream.destroy()
      if (pending) onLine(pending)
      pending = ''
      resolve()
    }
    if (options.signal.aborted) return done()
    options.signal.addEventListener('abort', done, {once: true})
    stream.on('end', done)
    stream.on('close', done)
  })
}
