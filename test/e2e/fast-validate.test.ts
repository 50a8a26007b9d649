/**
 * `validate` in its plain forms runs without oclif (src/cli/fast-validate.ts). Whatever it answers must be exactly
 * what the oclif command answers: each command line here runs both ways (PRISM_FAST_PATH=0 forces oclif) and the
 * exit code, stdout and stderr are compared byte for byte.
 */
import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCli, tempDir, type CliResult} from '../helpers/cli.js'

let dir: string
const NAMESPACE = 'kind: Namespace\nname: orders\nteam: shop\npatterns:\n  - name: cache\n    type: keyvalue\n    requires: [{slot: kv-store, backend: mem}]\n'
const BROKEN = 'kind: Namespace\nname: Orders!\nteam: shop\npatterns:\n  - name: cache\n    type: keyvalu\n'

beforeAll(() => {
  dir = tempDir('prismctl-fast-validate-')
  writeFileSync(join(dir, 'ns.yaml'), NAMESPACE)
  writeFileSync(join(dir, 'broken.yaml'), BROKEN)
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))

async function bothWays(args: string[], input?: string): Promise<{fast: CliResult; oclif: CliResult}> {
  const [fast, oclif] = await Promise.all([runCli(args, {cwd: dir, input}), runCli(args, {cwd: dir, input, env: {PRISM_FAST_PATH: '0'}})])
  return {fast, oclif}
}

/** --debug prints the cause's stack: its frames name the bundle that ran, which is the one thing that differs. */
function withoutStackFrames(r: CliResult): CliResult {
  return {...r, stderr: r.stderr.replace(/^\s+at .+\n/gm, '    at …\n').replace(/(    at …\n)+/g, '    at …\n')}
}

describe('validate without oclif answers exactly as the oclif command', () => {
  const cases: {name: string; args: string[]; input?: string; code: number}[] = [
    {name: 'a valid file', args: ['validate', '-f', 'ns.yaml'], code: 0},
    {name: 'every problem of a broken file', args: ['validate', '-f', 'broken.yaml'], code: 1},
    {name: 'a missing file', args: ['validate', '-f', 'nope.yaml'], code: 1},
    {name: 'nothing to validate', args: ['validate'], code: 2},
    {name: 'nothing to validate (namespace)', args: ['ns', 'validate'], code: 2},
    {name: 'a directory, recursively, as JSON', args: ['validate', '-R', '--json', '-f', '.'], code: 1},
    {name: 'a valid file as JSON', args: ['validate', '--json', 'ns.yaml'], code: 0},
    {name: 'a broken file as JSON', args: ['validate', '--file=broken.yaml', '--json'], code: 1},
    {name: 'the wrong kind', args: ['backend', 'validate', '--filename', 'ns.yaml'], code: 1},
    {name: 'the right kind through a topic alias', args: ['namespaces', 'validate', '-f', 'ns.yaml'], code: 0},
    {name: 'paths after -f are -f values, before it arguments', args: ['validate', 'broken.yaml', '-f', 'ns.yaml', 'nope.yaml'], code: 1},
    {name: 'stdin', args: ['validate', '-f', '-'], input: NAMESPACE, code: 0},
    {name: '--debug on an error', args: ['validate', '--debug', '-f', 'broken.yaml'], code: 1},
    // Handed to oclif by the fast path: the same by construction, and shown to be.
    {name: 'a misspelt flag', args: ['validate', '--fiel', 'ns.yaml'], code: 2},
    {name: 'help', args: ['validate', '--help'], code: 0},
  ]
  for (const c of cases) {
    it(c.name, async () => {
      const {fast, oclif} = await bothWays(c.args, c.input)
      expect(fast.code).toBe(c.code)
      expect(withoutStackFrames(fast)).toEqual(withoutStackFrames(oclif))
    })
  }
})
