/**
 * The Docker dev stack with its images present (built from host binaries, as in the tests; --oidc embedded
 * --without vault,kafka, which is what runs here): `dev up` from nothing until healthy and logged in, a no-change
 * `dev up`, and `dev down --volumes`; next to the slowest service's own readiness, each service's container started
 * alone (same spec, same readiness check) on a network of its own.
 */
import {spawnSync} from 'node:child_process'

import type Dockerode from 'dockerode'

import {createContainer, ensureNetwork, networkName, probeNow, removeContainer, startContainer} from '../src/stack/docker/containers.js'
import {findEngine} from '../src/stack/docker/engine.js'
import {planRuntimeImage} from '../src/stack/docker/runtime-image.js'
import {containerSpec, type ServiceName, type StackSettings} from '../src/stack/docker/services.js'
import {renderDexConfig} from '../src/stack/dex-config.js'
import {tempDir} from '../test/helpers/cli.js'
import {ensureTestImages} from '../test/helpers/docker-images.js'
import {childEnv, CLI, fmtMs, median, ratio, ROOT, timed, type Row} from './lib.js'

/** One service alone: create, start, and run its health check until it passes. */
async function aloneReady(docker: Dockerode, service: ServiceName, settings: StackSettings): Promise<number> {
  const spec = {...containerSpec(service, settings), volumes: [], ports: []}
  const start = process.hrtime.bigint()
  const id = await createContainer(docker, settings.stack, spec, 'bench')
  try {
    await startContainer(docker, id, service)
    // As dev up checks a service it does not publish: by exec, every 500 ms.
    while (!(await probeNow(docker, id, spec.health.test, spec.health.timeoutMs))) await new Promise((r) => setTimeout(r, 500))
    return Number(process.hrtime.bigint() - start) / 1e6
  } finally {
    await removeContainer(docker, id)
  }
}

export async function benchDevDocker(rounds: number): Promise<Row[]> {
  const images = ensureTestImages()
  const stack = `bench${process.pid}`
  const env = childEnv({PRISM_CONFIG_DIR: tempDir('prismctl-bench-docker-')})
  const flags = [
    '--stack', stack, '--port-offset', '4321', '--oidc', 'embedded', '--without', 'vault,kafka', '--pull', 'never',
    '--base-image', images.node, '--image', `redis=${images.redis}`, '--image', `nats=${images.nats}`, '--image', `postgres=${images.postgres}`,
  ]
  const {docker} = await findEngine(env)
  const settings: StackSettings = {
    stack: `${stack}alone`,
    services: [],
    images: {redis: images.redis, nats: images.nats, postgres: images.postgres},
    runtimeImage: planRuntimeImage(ROOT, images.node, JSON.parse((await import('node:fs')).readFileSync(`${ROOT}/package.json`, 'utf8')).version).tag,
    oidc: 'embedded',
    portOffset: 0,
    expose: false,
    dexConfig: await renderDexConfig({listen: '0.0.0.0:5556'}),
  }
  // Warm-up: builds the runtime image, so every round below starts with all images present.
  timed(['dev', 'up', ...flags], env)
  timed(['dev', 'down', '--stack', stack, '--volumes'], env)
  await ensureNetwork(docker, settings.stack)
  const samples = {up: [] as number[], again: [] as number[], down: [] as number[]}
  const alone: Record<string, number[]> = {postgres: [], redis: [], nats: [], dex: []}
  try {
    for (let round = 0; round < rounds; round++) {
      for (const service of Object.keys(alone) as ServiceName[]) alone[service]!.push(await aloneReady(docker, service, settings))
      samples.up.push(timed(['dev', 'up', ...flags], env))
      samples.again.push(timed(['dev', 'up', ...flags], env))
      samples.down.push(timed(['dev', 'down', '--stack', stack, '--volumes'], env))
    }
  } finally {
    await docker.getNetwork(networkName(settings.stack)).remove().catch(() => undefined)
    spawnSync(process.execPath, [CLI, 'dev', 'down', '--stack', stack, '--volumes'], {env})
  }
  const [slowest, slowestMs] = Object.entries(alone).map(([s, v]) => [s, median(v)] as const).sort((a, b) => b[1] - a[1])[0]!
  const base = `${fmtMs(slowestMs)} (${slowest} alone until its health check passes; ${Object.entries(alone).map(([s, v]) => `${s} ${fmtMs(median(v))}`).join(', ')})`
  const row = (name: string, values: number[], target?: string): Row => ({name: `${name} (median of ${rounds})`, value: fmtMs(median(values)), baseline: base, ratio: ratio(median(values), slowestMs), ...(target ? {target} : {})})
  return [
    row('dev up from nothing (images present) until healthy, bootstrapped, admin logged in', samples.up, '≤ 1.3×'),
    row('dev up again, nothing changed', samples.again, '≤ 2 s'),
    row('dev down --volumes', samples.down),
  ]
}
