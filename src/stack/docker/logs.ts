/** `prismctl dev logs [SERVICE]` for the Docker stack: each container's lines, prefixed by its service. */
import {PrismError} from '../../errors.js'
import {followLog, listStackContainers, logLines} from './containers.js'
import {findEngine} from './engine.js'
import {SERVICES} from './services.js'

export interface DockerLogsOptions {
  stack: string
  service?: string
  tail?: number
  /** Unix seconds. */
  since?: number
  follow: boolean
  signal?: AbortSignal
  env?: NodeJS.ProcessEnv
}

export async function dockerLogs(o: DockerLogsOptions, write: (line: string) => void): Promise<number> {
  const {docker} = await findEngine(o.env)
  const all = await listStackContainers(docker, o.stack)
  const chosen = (o.service ? all.filter((c) => c.service === o.service) : all).sort((a, b) => SERVICES.indexOf(a.service) - SERVICES.indexOf(b.service))
  if (chosen.length === 0) {
    throw new PrismError(o.service ? `no ${o.service} container in the dev stack "${o.stack}"` : `the dev stack "${o.stack}" has no containers`, {
      code: 'NOT_FOUND',
      hint: o.service ? `Services that run: ${all.map((c) => c.service).join(', ') || 'none'} (prismctl dev status).` : 'Start it with: prismctl dev up; an embedded stack (dev up --embedded) keeps its log for: prismctl dev logs --embedded',
    })
  }
  const width = Math.max(...chosen.map((c) => c.service.length))
  const prefix = (service: string) => `${service.padEnd(width)} | `
  const options = {...(o.tail !== undefined ? {tail: o.tail} : {}), ...(o.since !== undefined ? {since: o.since} : {})}
  if (!o.follow) {
    let count = 0
    for (const c of chosen) {
      for (const line of await logLines(docker, c.id, options)) {
        write(prefix(c.service) + line)
        count++
      }
    }
    return count
  }
  const signal = o.signal ?? new AbortController().signal
  let count = 0
  await Promise.all(chosen.map((c) => followLog(docker, c.id, {...options, signal}, (line) => {
    write(prefix(c.service) + line)
    count++
  })))
  return count
}
