/**
 * `admin serve --store-wait` against a real PostgreSQL that is down when the control plane starts (as in the dev
 * stack, where the database container starts beside it): it keeps trying, logs each reason once, and serves once the
 * database is up.
 */
import {describe, expect, it} from 'vitest'

import {startAdminServer} from '../helpers/admin-server.js'
import {runCli, tempDir} from '../helpers/cli.js'
import {startPostgres} from '../helpers/postgres.js'

describe('admin serve --store-wait', () => {
  it('waits for a PostgreSQL that starts after it, logging the reason once, then serves', async () => {
    const pg = await startPostgres()
    try {
      const url = await pg.createDatabase()
      await pg.takeDown()
      let retrying: () => void = () => undefined
      const firstRetry = new Promise<void>((resolve) => (retrying = resolve))
      const starting = startAdminServer({store: url, args: ['--auth', 'none', '--store-wait', '60s'], startTimeoutMs: 60_000, onStderr: (text) => text.includes('(--store-wait)') && retrying()})
      // starting rejects if the server exits instead of retrying.
      await Promise.race([firstRetry, starting])
      // A few more retries (every 100–200 ms) against the refused port, then the database starts.
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      await pg.startAgain()
      const admin = await starting
      try {
        const logs = admin.logs()
        // Retried every 100–200 ms, a reason said only when it changes (here: refused, perhaps then "starting up").
        const said = logs.split('\n').filter((line) => line.includes('(--store-wait)'))
        expect(said[0], logs).toMatch(/retrying for up to 60 s \(--store-wait\)$/)
        expect(new Set(said).size, logs).toBe(said.length)
        expect(logs).toMatch(/store reachable after \d+\.\d s/)
        const list = await runCli(['namespace', 'list', '-o', 'name'], {configDir: tempDir('prismctl-store-wait-'), env: {PRISM_ADMIN_ENDPOINT: admin.endpoint}})
        expect([list.code, list.stderr]).toEqual([0, ''])
      } finally {
        await admin.stop()
      }
    } finally {
      await pg.stop()
    }
  }, 120_000)

  it('without --store-wait fails at once, naming the store without its password', async () => {
    const pg = await startPostgres()
    try {
      const url = new URL(await pg.createDatabase())
      await pg.takeDown()
      // A long password, and one letter long (hidden where it stands, not in every word with a "p" in it).
      for (const password of ['pw-store-wait-93', 'p']) {
        url.password = password
        const r = await runCli(['admin', 'serve', '--auth', 'none', '--listen', '127.0.0.1:0', '--store', url.toString()], {configDir: tempDir('prismctl-store-wait-')})
        expect(r.code).toBe(1)
        const error = r.stderr.split('\n').find((line) => line.startsWith('Error: '))
        expect(error).toMatch(/^Error: Cannot open the PostgreSQL store at postgres:\/\/postgres:\[REDACTED\]@127\.0\.0\.1:\d+\/prism_test_\w+: connect ECONNREFUSED 127\.0\.0\.1:\d+$/)
        expect(r.stderr).not.toContain('pw-store-wait-93')
      }
    } finally {
      await pg.stop()
    }
  }, 60_000)
})
