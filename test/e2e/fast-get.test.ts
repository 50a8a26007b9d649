/**
 * `namespace get` and `backend get` in their plain forms run without oclif (src/cli/fast-get.ts), against a real
 * control plane here. Whatever they answer must be what the oclif command answers: each command line runs both
 * ways (PRISM_FAST_PATH=0 forces oclif) and the exit code, stdout and stderr are compared.
 */
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startAdminServer, type AdminServer} from '../helpers/admin-server.js'
import {runCli, tempDir, type CliResult} from '../helpers/cli.js'

let server: AdminServer
let configDir: string

beforeAll(async () => {
  server = await startAdminServer()
  configDir = tempDir('prismctl-fast-get-')
  const file = join(configDir, 'resources.yaml')
  writeFileSync(file, [
    'kind: Backend\nname: mem\ntype: memstore\nmemstore: {}\nlabels: {env: dev}\n',
    'kind: Namespace\nname: orders\nteam: shop\nlabels: {env: dev}\npatterns:\n  - name: cache\n    type: keyvalue\n    requires: [{slot: kv-store, backend: mem}]\n',
  ].join('---\n'))
  const applied = await runCli(['apply', '-f', file], {configDir, env: {PRISM_ADMIN_ENDPOINT: server.endpoint}})
  expect(applied.code, applied.stderr).toBe(0)
}, 60_000)
afterAll(async () => {
  await server?.stop()
})

async function bothWays(args: string[]): Promise<{fast: CliResult; oclif: CliResult}> {
  const env = {PRISM_ADMIN_ENDPOINT: server.endpoint}
  const [fast, oclif] = await Promise.all([runCli(args, {configDir, env}), runCli(args, {configDir, env: {...env, PRISM_FAST_PATH: '0'}})])
  return {fast, oclif}
}

/** What may differ between two runs a moment apart: the AGE column, and --debug's stack frames and timings. */
function comparable(r: CliResult): CliResult {
  return {
    ...r,
    stdout: r.stdout.replace(/\s\d+[smhdy]$/gm, ' AGE'),
    stderr: r.stderr.replace(/^\s+at .+\n/gm, '    at …\n').replace(/(    at …\n)+/g, '    at …\n').replace(/ in \d+ ms/g, ' in N ms'),
  }
}

describe('get without oclif answers exactly as the oclif command', () => {
  const cases: {name: string; args: string[]; code: number; says?: string}[] = [
    {name: 'a namespace as a table', args: ['namespace', 'get', 'orders'], code: 0, says: 'orders'},
    {name: 'as JSON (-o json)', args: ['ns', 'get', 'orders', '-o', 'json'], code: 0, says: '"name": "orders"'},
    {name: 'as JSON (--json)', args: ['namespaces', 'get', '--json', 'orders'], code: 0, says: '"name": "orders"'},
    {name: 'as YAML', args: ['namespace', 'get', 'orders', '--output=yaml'], code: 0, says: 'kind: Namespace'},
    {name: 'by name', args: ['namespace', 'get', 'orders', '-o', 'name'], code: 0, says: 'namespace/orders'},
    {name: 'a backend', args: ['backends', 'get', 'mem'], code: 0, says: 'memstore'},
    {name: 'a backend as YAML', args: ['backend', 'get', 'mem', '-o', 'yaml', '--timeout', '5s'], code: 0, says: 'type: memstore'},
    {name: 'one that does not exist', args: ['namespace', 'get', 'nope'], code: 1, says: 'namespace "nope" not found'},
    {name: 'one that does not exist, as JSON', args: ['backend', 'get', 'nope', '--json'], code: 1, says: '"code": "NOT_FOUND"'},
    {name: 'an unreachable control plane', args: ['namespace', 'get', 'orders', '--admin-endpoint', '127.0.0.1:1', '--timeout', '1s'], code: 1, says: 'cannot reach the control plane'},
    {name: 'a context that does not exist', args: ['namespace', 'get', 'orders', '--context', 'nope'], code: 2, says: 'context "nope" does not exist'},
    {name: 'a bad --timeout', args: ['namespace', 'get', 'orders', '--timeout', 'soon'], code: 2},
    {name: '--debug', args: ['namespace', 'get', 'nope', '--debug', '--no-color'], code: 1, says: 'getNamespace failed'},
    // Handed to oclif by the fast path: the same by construction, and shown to be.
    {name: 'an unknown format', args: ['namespace', 'get', 'orders', '-o', 'wide'], code: 2},
    {name: '-o with --json', args: ['namespace', 'get', 'orders', '-o', 'yaml', '--json'], code: 2},
    {name: 'two names', args: ['namespace', 'get', 'orders', 'more'], code: 2},
    {name: 'no name', args: ['namespace', 'get'], code: 2},
    {name: 'a misspelt flag', args: ['namespace', 'get', 'orders', '--outptu', 'json'], code: 2},
    {name: 'help', args: ['namespace', 'get', '--help'], code: 0},
  ]
  for (const c of cases) {
    it(c.name, async () => {
      const {fast, oclif} = await bothWays(c.args)
      expect(fast.code, fast.stderr).toBe(c.code)
      if (c.says) expect(fast.stdout + fast.stderr).toContain(c.says)
      expect(comparable(fast)).toEqual(comparable(oclif))
    })
  }
})
