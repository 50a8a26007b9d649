/**
 * The embedded dev stack: `dev up --embedded` until every service answers (and the admin is logged in), a no-change
 * `dev up` while it runs, and `dev down`; next to a bare `admin serve --auth none` until it listens, the quickest
 * server start there is.
 */
import {tempDir} from '../test/helpers/cli.js'
import {freePort} from '../test/helpers/ports.js'
import {spawnServer} from '../test/helpers/server-process.js'
import {childEnv, fmtMs, median, ratio, timed, type Row} from './lib.js'

export async function benchDev(rounds: number): Promise<Row[]> {
  const configDir = tempDir('prismctl-bench-dev-')
  const env = childEnv({PRISM_CONFIG_DIR: configDir})
  const ports = ['--issuer-port', `${await freePort()}`, '--admin-port', `${await freePort()}`, '--proxy-port', `${await freePort()}`, '--metrics-port', `${await freePort()}`]
  const samples = {up: [] as number[], again: [] as number[], down: [] as number[], serve: [] as number[]}
  for (let round = 0; round < rounds; round++) {
    samples.up.push(timed(['dev', 'up', '--embedded', ...ports], env))
    samples.again.push(timed(['dev', 'up', '--embedded', ...ports], env))
    samples.down.push(timed(['dev', 'down', '--embedded'], env))
    const start = process.hrtime.bigint()
    const server = await spawnServer({args: ['admin', 'serve', '--auth', 'none', '--listen', '127.0.0.1:0', '--store', `sqlite://${configDir}/bench-serve.db`], listening: /listening on (\S+)/, configDir})
    samples.serve.push(Number(process.hrtime.bigint() - start) / 1e6)
    await server.stop()
  }
  const baseline = median(samples.serve)
  const base = `${fmtMs(baseline)} (admin serve --auth none until listening)`
  const row = (name: string, values: number[], target?: string): Row => ({name: `${name} (median of ${rounds})`, value: fmtMs(median(values)), baseline: base, ratio: ratio(median(values), baseline), target})
  return [
    row('dev up --embedded until healthy, context written, admin logged in', samples.up),
    row('dev up --embedded again, while it runs (no change)', samples.again, '≤ 2 s'),
    row('dev down', samples.down),
  ]
}
