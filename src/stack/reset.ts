/**
 * `prismctl dev reset`: the stack's data wiped before it starts again. Docker: its containers and volumes removed
 * (by label); embedded: the process stopped and its SQLite store deleted. `dev up` then starts from nothing.
 */
import {rmSync} from 'node:fs'
import {count} from '../ui/count.js'

export async function wipeStack(options: {embedded: boolean; stack: string; env?: NodeJS.ProcessEnv}): Promise<string> {
  if (options.embedded) {
    const [{embeddedDown}, {embeddedPaths}] = await Promise.all([import('./embedded/lifecycle.js'), import('./embedded/state.js')])
    const down = await embeddedDown(options.env)
    const paths = embeddedPaths(options.env)
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${paths.store}${suffix}`, {force: true})
    return `reset the embedded dev stack: ${down.outcome === 'none' ? 'it was not running' : 'stopped it'}; removed its store ${paths.store}`
  }
  const {dockerDown} = await import('./docker/down.js')
  const down = await dockerDown({stack: options.stack, volumes: true, ...(options.env ? {env: options.env} : {})})
  return `reset the Docker dev stack "${down.name}": removed ${count(down.containers, 'container')} and ${count(down.volumes, 'volume')}`
}
