/**
 * A throwaway PostgreSQL server for tests: initdb into a temp dir, `pg_ctl start` on a free 127.0.0.1 port with the
 * unix socket inside the temp dir, trust auth, stopped and deleted afterwards. PRISM_TEST_POSTGRES_URL points at an
 * existing server instead. PostgreSQL refuses to run as root, so as root the binaries run as the `postgres` OS user.
 * Without binaries this throws: the Postgres cases must fail loudly, never skip.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {chownSync, existsSync, mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {freePort} from './ports.js'

export interface TestPostgres {
  /** postgres://… of the server's maintenance database. */
  url: string
  /** A fresh empty database on the server; returns its URL. */
  createDatabase(): Promise<string>
  stop(): Promise<void>
}

function findBinDir(): string {
  const onPath = spawnSync('sh', ['-c', 'command -v pg_ctl'], {encoding: 'utf8'}).stdout.trim()
  if (onPath) return join(onPath, '..')
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : []
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'pg_ctl'))) return join(root, v, 'bin')
  throw new Error(
    'PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or under /usr/lib/postgresql/*/bin. ' +
      'Install them (Debian: apt-get install postgresql) or set PRISM_TEST_POSTGRES_URL to a server the tests may use.',
  )
}

function lookupUser(name: string): {uid: number; gid: number} {
  const uid = Number(execFileSync('id', ['-u', name], {encoding: 'utf8'}).trim())
  const gid = Number(execFileSync('id', ['-g', name], {encoding: 'utf8'}).trim())
  return {uid, gid}
}

let counter = 0

async function databaseFactory(url: string): Promise<() => Promise<string>> {
  const pg = (await import('pg')).default
  return async () => {
    const name = `prism_test_${process.pid}_${Date.now().toString(36)}_${counter++}`
    const client = new pg.Client({connectionString: url})
    await client.connect()
    try {
      await client.query(`CREATE DATABASE ${name}`)
    } finally {
      await client.end()
    }
    const target = new URL(url)
    target.pathname = `/${name}`
    return target.toString()
  }
}

export async function startPostgres(): Promise<TestPostgres> {
  const external = process.env.PRISM_TEST_POSTGRES_URL
  if (external) return {url: external, createDatabase: await databaseFactory(external), stop: async () => {}}

  const bin = findBinDir()
  const dir = mkdtempSync(join(tmpdir(), 'prism-pg-'))
  const data = join(dir, 'data')
  const asUser = process.getuid?.() === 0 ? lookupUser('postgres') : undefined
  if (asUser) chownSync(dir, asUser.uid, asUser.gid)
  const run = (command: string, args: string[]) => {
    const result = spawnSync(join(bin, command), args, {encoding: 'utf8', cwd: dir, ...(asUser ?? {}), env: {...process.env, LC_ALL: 'C'}})
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status}): ${result.stderr || result.stdout || result.error?.message}`)
  }
  const port = await freePort()
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '--locale=C', '--encoding=UTF8'])
    run('pg_ctl', ['start', '-w', '-t', '30', '-D', data, '-l', join(dir, 'server.log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`])
  } catch (err) {
    rmSync(dir, {recursive: true, force: true})
    throw err
  }
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`
  return {
    url,
    createDatabase: await databaseFactory(url),
    async stop() {
      try {
        run('pg_ctl', ['stop', '-w', '-t', '30', '-m', 'fast', '-D', data])
      } finally {
        rmSync(dir, {recursive: true, force: true})
      }
    },
  }
}
