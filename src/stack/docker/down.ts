/**
 * `prismctl dev down` for the Docker stack: everything found by its labels alone (containers, networks, and with
 * --volumes the data volumes), so it works after a crash and with no state file.
 */
import {engineError, LABEL_STACK, listStackContainers, removeContainer} from './containers.js'
import {findEngine} from './engine.js'

/** What is already gone (404) counts as removed. */
async function removeGone(removal: Promise<unknown>, doing: string): Promise<void> {
  await removal.catch((err: {statusCode?: number}) => {
    if (err.statusCode !== 404) throw engineError(doing, err)
  })
}

export interface DockerDownResult {
  stack: 'docker'
  name: string
  containers: number
  networks: number
  volumes: number
  /** Volumes left in place (without --volumes). */
  keptVolumes: string[]
}

export async function dockerDown(options: {stack: string; volumes: boolean; env?: NodeJS.ProcessEnv}): Promise<DockerDownResult> {
  const {docker} = await findEngine(options.env)
  const filter = {label: [`${LABEL_STACK}=${options.stack}`]}
  const containers = await listStackContainers(docker, options.stack)
  await Promise.all(containers.map((c) => removeContainer(docker, c.id)))
  const networks = await docker.listNetworks({filters: filter})
  for (const n of networks) await removeGone(docker.getNetwork(n.Id).remove(), `removing the network ${n.Name}`)
  const volumes = (await docker.listVolumes({filters: filter})).Volumes ?? []
  if (options.volumes) {
    for (const v of volumes) await removeGone(docker.getVolume(v.Name).remove(), `removing the volume ${v.Name}`)
  }
  return {
    stack: 'docker',
    name: options.stack,
    containers: containers.length,
    networks: networks.length,
    volumes: options.volumes ? volumes.length : 0,
    keptVolumes: options.volumes ? [] : volumes.map((v) => v.Name).sort(),
  }
}
