/**
 * `npm run bench`: every figure next to a baseline measured in the same run. Prints Markdown tables.
 * Sections can be chosen: `npm run bench -- yaml startup controlplane auth proxy mailbox dev` (default: all).
 */
import {cpus} from 'node:os'

import {startPostgres} from '../test/helpers/postgres.js'
import {benchAuth} from './auth.js'
import {benchStore, benchTls, connect, prepare, withServer} from './controlplane.js'
import {benchMailbox} from './mailbox.js'
import {benchProxy} from './proxy.js'
import {benchDev} from './dev.js'
import {benchDevDocker} from './dev-docker.js'
import {childEnv, printTable, type Row} from './lib.js'
import {benchStartup} from './startup.js'
import {benchYaml} from './yaml.js'

const wanted = new Set(process.argv.slice(2))
const want = (section: string) => wanted.size === 0 || wanted.has(section)
const env = childEnv()

console.log(`# prismctl benchmarks — ${new Date().toISOString()}, node ${process.version}, ${cpus().length} CPUs`)

if (want('yaml')) printTable('YAML → protobuf', benchYaml())

if (want('startup')) {
  // `namespace get` needs a control plane with the namespace in it.
  const rows = await withServer(['--auth', 'none'], undefined, async (server) => {
    const client = connect(server.endpoint)
    await prepare(client)
    client.close()
    return benchStartup({
      rounds: 20,
      env: {...env, PRISM_ADMIN_ENDPOINT: server.endpoint},
      extra: {'prismctl namespace get bench-get (against a local control plane)': {argv: ['bin/run.js', 'namespace', 'get', 'bench-get'], target: '≤ 4×'}},
    })
  })
  printTable('CLI startup (wall time per process, without NODE_EXTRA_CA_CERTS)', rows)
}

if (want('controlplane')) {
  const opts = {latencyCount: 2000, creates: 3000, concurrency: 16}
  const rows: Row[] = await withServer(['--auth', 'none'], undefined, (server) => benchStore('SQLite', server, {...opts, createTarget: '≥ 1,000/s'}))
  rows.push(...(await benchTls(opts.latencyCount)))
  const pg = await startPostgres()
  try {
    const url = await pg.createDatabase()
    rows.push(...(await withServer(['--auth', 'none'], url, (server) => benchStore('PostgreSQL', server, opts))))
  } finally {
    await pg.stop()
  }
  printTable('Control plane over loopback (server in its own process)', rows)
}

if (want('auth')) printTable('Authenticated calls', await benchAuth(2000))

if (want('proxy')) printTable('Data path through the proxy (proxy and control plane in their own processes)', await benchProxy({latencyCount: 2000, throughputCalls: 20_000, concurrency: 64}))

if (want('mailbox')) printTable('Mailboxes on PostgreSQL (proxy and control plane in their own processes)', await benchMailbox({ingest: 20_000, stored: 100_000, latencyCount: 500}))

if (want('dev')) {
  printTable('Embedded dev stack (dev up --embedded: issuer, control plane, proxy in one background process)', await benchDev(3))
  printTable('Docker dev stack (--oidc embedded --without vault,kafka; images built from host binaries, present)', await benchDevDocker(5))
}
