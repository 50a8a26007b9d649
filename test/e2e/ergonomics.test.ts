/**
 * Issue 11, "kubectl-grade ergonomics", end to end: the built CLI against one real control plane (`admin serve`,
 * SQLite) on 127.0.0.1. Each numbered block is one item of the issue; tests use their own names and labels.
 */
import {execFileSync} from 'node:child_process'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startAdminServer, type AdminServer} from '../helpers/admin-server.js'
import {childEnv, ROOT, runCli, tempDir, type CliResult, type RunOptions} from '../helpers/cli.js'

let server: AdminServer
let configDir: string
let files: string
let counter = 0

beforeAll(async () => {
  server = await startAdminServer()
  configDir = tempDir()
  files = tempDir('prismctl-ergonomics-')
})

afterAll(async () => {
  await server?.stop()
})

function unique(prefix: string): string {
  counter += 1
  return `${prefix}-${counter}`
}

function cli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  return runCli(args, {configDir, ...options, env: {PRISM_ADMIN_ENDPOINT: server.endpoint, ...options.env}})
}

function file(name: string, content: string): string {
  const path = join(files, name)
  mkdirSync(join(path, '..'), {recursive: true})
  writeFileSync(path, content)
  return path
}

function json(r: CliResult): any {
  return JSON.parse(r.stdout)
}

const backendYaml = (name: string, address = 'redis:6379') => `kind: Backend\nname: ${name}\ntype: redis\nredis:\n  address: ${address}\ninterfaces: [keyvalue_basic, keyvalue_ttl]\n`

function namespaceYaml(name: string, backend: string, labels: Record<string, string> = {env: 'test'}, team = 'alpha'): string {
  const labelLines = Object.entries(labels).map(([k, v]) => `  ${k}: ${v}`)
  return ['kind: Namespace', `name: ${name}`, `team: ${team}`, 'labels:', ...labelLines, 'patterns:', '  - name: cache', '    type: keyvalue', '    requires:', '      - slot: kv-store', `        backend: ${backend}`, ''].join('\n')
}

async function registerRedis(): Promise<string> {
  const name = unique('redis')
  const r = await cli(['backend', 'register', name, '--type', 'redis', '--address', 'redis:6379', '--interfaces', 'keyvalue_basic,keyvalue_ttl'])
  expect([r.code, r.stderr]).toEqual([0, ''])
  return name
}

describe('1. diff exit codes follow kubectl: 0 none, 1 differences, 2 usage, 3 any other error', () => {
  it('tells no difference, a difference and each kind of failure apart', async () => {
    const backend = await registerRedis()
    const ns = unique('ns')
    const path = file(`${ns}.yaml`, namespaceYaml(ns, backend))
    expect((await cli(['namespace', 'diff', '-f', path])).code).toBe(1)
    expect((await cli(['namespace', 'apply', '-f', path])).code).toBe(0)
    expect(await cli(['namespace', 'diff', '-f', path])).toMatchObject({code: 0, stdout: ''})

    const unreachable = await cli(['namespace', 'diff', '-f', path], {env: {PRISM_ADMIN_ENDPOINT: '127.0.0.1:1'}})
    expect([unreachable.code, unreachable.stderr]).toEqual([3, expect.stringContaining('cannot reach the control plane at 127.0.0.1:1')])
    const missing = await cli(['namespace', 'diff', '-f', join(files, 'no-such.yaml')])
    expect([missing.code, missing.stderr]).toEqual([3, expect.stringContaining('no such file or directory')])
    const invalid = await cli(['diff', '-f', file(`${ns}-bad.yaml`, 'kind: Namespace\nname: [unclosed\n')])
    expect([invalid.code, invalid.stderr]).toEqual([3, expect.stringContaining('invalid YAML')])
    const usage = await cli(['backend', 'diff'])
    expect([usage.code, usage.stderr]).toEqual([2, expect.stringContaining('Missing required flag')])
    const json = await cli(['diff', '-f', join(files, 'no-such.yaml'), '--json'])
    expect(json.code).toBe(3)
    expect(JSON.parse(json.stdout).error.code).toBe('INVALID_ARGUMENT')
  })

  it('namespace diff refuses Backend documents as namespace apply does; diff -f takes mixed kinds; backend diff takes backends', async () => {
    const backend = await registerRedis()
    const ns = unique('ns')
    const mixed = file(`${ns}-mixed.yaml`, `${backendYaml(backend, 'redis-2:6379')}---\n${namespaceYaml(ns, backend)}`)
    const refused = await cli(['namespace', 'diff', '-f', mixed])
    expect(refused.code).toBe(3)
    expect(refused.stderr).toContain(`${mixed}:1:7: kind: expected a Namespace document, found Backend; "prismctl namespace diff" takes only Namespace documents; compare files that mix kinds with "prismctl diff -f"`)

    const both = await cli(['diff', '-f', mixed])
    expect(both.code).toBe(1)
    expect(both.stdout).toContain(`--- live/backend/${backend}\n+++ merged/backend/${backend}\n`)
    expect(both.stdout).toContain('-  address: redis:6379\n+  address: redis-2:6379\n')
    expect(both.stdout).toContain(`--- live/namespace/${ns}\n+++ merged/namespace/${ns}\n@@ -0,0 +1,`)

    const backendOnly = file(`${backend}.yaml`, backendYaml(backend, 'redis-2:6379'))
    expect((await cli(['backend', 'diff', '-f', backendOnly])).code).toBe(1)
    expect((await cli(['backend', 'diff', '-f', file(`${ns}-only.yaml`, namespaceYaml(ns, backend))])).code).toBe(3)
    expect((await cli(['apply', '-f', backendOnly])).code).toBe(0)
    expect(await cli(['backend', 'diff', '-f', backendOnly])).toMatchObject({code: 0, stdout: ''})
  })
})

describe('2. apply prints each outcome as it happens and stops on Ctrl-C', () => {
  it('on SIGINT stops sending, says how many were sent, exits 130; exactly those exist', async () => {
    const backend = await registerRedis()
    const batch = unique('sigint')
    const count = 1000
    const docs = Array.from({length: count}, (_, i) => namespaceYaml(`${batch}-${i}`, backend, {batch}))
    const path = file(`${batch}.yaml`, docs.join('---\n'))
    let signalled = false
    const r = await cli(['apply', '-f', path], {
      timeoutMs: 60_000,
      onStdout: (stdout, child) => {
        // A real Ctrl-C once some outcomes are on screen: they were printed while the rest was still being sent.
        if (!signalled && stdout.split('\n').length > 3) {
          signalled = true
          child.kill('SIGINT')
        }
      },
    })
    expect(signalled).toBe(true)
    const lines = r.stdout.trim().split('\n')
    expect(r.code).toBe(130)
    expect(lines.length).toBeLessThan(count)
    expect(lines.every((l) => /^namespace\/sigint-\d+-\d+ created$/.test(l))).toBe(true)
    expect(r.stderr).toContain(`Error: interrupted after ${lines.length} of ${count} documents; the rest were not sent\n`)
    expect(r.stderr).toContain('Hint: apply is idempotent: run the same command again to send the rest.')

    const stored = await cli(['namespace', 'list', '-l', `batch=${batch}`, '-o', 'name'])
    expect(stored.stdout.trim().split('\n').sort()).toEqual(lines.map((l) => l.replace(' created', '')).sort())
  })
})

describe('3. apply --json lists every outcome, on success and on partial failure', () => {
  it('one good and one bad document: both appear, with the error and exit 1', async () => {
    const backend = await registerRedis()
    const good = unique('ns')
    const bad = unique('ns')
    const path = file(`${good}-pair.yaml`, `${namespaceYaml(good, backend)}---\n${namespaceYaml(bad, 'no-such-backend')}`)
    const r = await cli(['apply', '-f', path, '--json'])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe('')
    const out = json(r)
    expect(out.dryRun).toBe('none')
    expect(out.items).toEqual([
      {kind: 'Namespace', name: good, source: path, result: 'created', version: '1'},
      {
        kind: 'Namespace',
        name: bad,
        source: `${path} (document 2)`,
        result: 'failed',
        error: expect.objectContaining({code: 'INVALID_ARGUMENT', details: [expect.objectContaining({file: path, line: 23, column: 18, path: 'patterns[0].requires[0].backend'})]}),
      },
    ])
    expect(out.error).toMatchObject({code: 'INVALID_ARGUMENT', message: '1 of 2 documents failed; the others were applied'})

    const again = await cli(['apply', '-f', file(`${good}.yaml`, namespaceYaml(good, backend)), '--json'])
    expect(again.code).toBe(0)
    expect(json(again)).toEqual({dryRun: 'none', items: [{kind: 'Namespace', name: good, source: join(files, `${good}.yaml`), result: 'unchanged', version: '1'}]})
  })
})

describe('4. one JSON shape per command, structured details, no "lines above" in JSON', () => {
  it('-o json and --json print the same; -o with another format and --json is a usage error', async () => {
    const backend = await registerRedis()
    const ns = unique('ns')
    expect((await cli(['apply', '-f', file(`${ns}.yaml`, namespaceYaml(ns, backend))])).code).toBe(0)
    const commands = [
      ['namespace', 'get', ns],
      ['namespace', 'list', '--team', 'alpha'],
      ['backend', 'get', backend],
      ['backend', 'list', '--type', 'redis'],
      ['context', 'list'],
    ]
    for (const args of commands) {
      const viaO = await cli([...args, '-o', 'json'])
      const viaJson = await cli([...args, '--json'])
      expect([viaO.code, viaJson.code]).toEqual([0, 0])
      expect(json(viaO)).toEqual(json(viaJson))
      expect(json(await cli([...args, '-o', 'json', '--json']))).toEqual(json(viaJson))
      const both = await cli([...args, '-o', 'yaml', '--json'])
      expect(both.code).toBe(2)
      expect(json(both).error).toMatchObject({code: 'USAGE', message: '-o yaml cannot be combined with --json'})
    }
    // whoami needs a login to succeed (its -o json and --json were one shape already); the conflict is checked first.
    const whoami = await cli(['whoami', '-o', 'table', '--json'])
    expect([whoami.code, json(whoami).error.message]).toEqual([2, '-o table cannot be combined with --json'])
    expect(json(await cli(['namespace', 'list', '--team', 'alpha', '--json']))).toMatchObject({kind: 'List', items: expect.arrayContaining([expect.objectContaining({name: ns})])})
    expect(json(await cli(['context', 'list', '--json']))).toEqual({currentContext: 'default', contexts: [expect.objectContaining({name: 'default', current: true, stored: false})]})
  })

  it('error details are objects (file, line, column, path, message), and the JSON hint does not point "above"', async () => {
    const path = file('bad-name.yaml', 'kind: Namespace\nname: Bad_Name\nteam: alpha\n')
    const r = await cli(['apply', '-f', path, '--json'])
    expect(r.code).toBe(1)
    const {error} = json(r)
    expect(error.details).toEqual([{file: path, line: 2, column: 7, path: 'name', message: expect.stringContaining('namespace name "Bad_Name" is invalid')}])
    expect(error.hint).toBe('Fix the problems listed and run the command again.')
    const text = await cli(['apply', '-f', path])
    expect(text.stderr).toContain(`\n  ${path}:2:7: name: namespace name "Bad_Name" is invalid`)
  })
})

describe("5. kubectl's label selectors, evaluated by the server", () => {
  it('namespace list -l: =, ==, !=, in, notin, exists, !exists and their combinations', async () => {
    const backend = await registerRedis()
    const team = unique('team-sel')
    const [a, b, c] = [unique('ns-sel'), unique('ns-sel'), unique('ns-sel')]
    const docs = [namespaceYaml(a, backend, {env: 'dev', domain: 'commerce'}, team), namespaceYaml(b, backend, {env: 'prod', domain: 'commerce'}, team), namespaceYaml(c, backend, {tier: 'gold'}, team)]
    expect((await cli(['apply', '-f', file(`${team}.yaml`, docs.join('---\n'))])).code).toBe(0)
    const names = async (...selectors: string[]) => {
      const r = await cli(['namespace', 'list', '--team', team, ...selectors.flatMap((s) => ['-l', s]), '-o', 'name'])
      expect([r.code, r.stderr]).toEqual([0, ''])
      return r.stdout.split('\n').filter(Boolean)
    }
    expect(await names('env=dev,domain=commerce')).toEqual([`namespace/${a}`])
    expect(await names('env==prod')).toEqual([`namespace/${b}`])
    expect(await names('env!=dev')).toEqual([`namespace/${b}`, `namespace/${c}`])
    expect(await names('env in (dev, prod)')).toEqual([`namespace/${a}`, `namespace/${b}`])
    expect(await names('env notin (prod)')).toEqual([`namespace/${a}`, `namespace/${c}`])
    expect(await names('env')).toEqual([`namespace/${a}`, `namespace/${b}`])
    expect(await names('!env')).toEqual([`namespace/${c}`])
    expect(await names('domain=commerce', '!tier', 'env notin (dev)')).toEqual([`namespace/${b}`])
  })

  it('backend list -l selects by the labels of backends', async () => {
    const tag = unique('sel')
    const [dev, prod] = [unique('redis-sel'), unique('redis-sel')]
    for (const [name, env] of [[dev, 'dev'], [prod, 'prod']]) {
      const r = await cli(['backend', 'register', name, '--type', 'redis', '--address', 'redis:6379', '--interfaces', 'keyvalue_basic', '--label', `env=${env}`, '--label', `run=${tag}`])
      expect([r.code, r.stderr]).toEqual([0, ''])
    }
    const listed = await cli(['backend', 'list', '-l', `run=${tag},env!=prod`, '-o', 'name'])
    expect([listed.code, listed.stdout]).toEqual([0, `backend/${dev}\n`])
  })

  it('anything else is a usage error showing the syntax', async () => {
    for (const [selector, problem] of [
      ['Bad Key=x', 'expected =, ==, !=, in or notin after "Bad"'],
      ['bad_=x', '"bad_" is not a valid label key'],
      ['env in dev', 'expected "(" after in'],
      ['env>1', '">" is not an operator'],
    ]) {
      const r = await cli(['namespace', 'list', '-l', selector!])
      expect([r.code, r.stdout]).toEqual([2, ''])
      expect(r.stderr).toContain(`invalid label selector "${selector}": ${problem}`)
      expect(r.stderr).toContain('key notin (v1,v2)')
    }
    const json = await cli(['namespace', 'list', '-l', 'a b', '--json'])
    expect(json.code).toBe(2)
    expect(JSON.parse(json.stdout).error.code).toBe('USAGE')
  })
})

describe('6. -f reads JSON files, -R subdirectories and kind: List, so every export applies back', () => {
  it('a directory: *.json read, subdirectories only with -R (and --filename is -f)', async () => {
    const backend = await registerRedis()
    const batch = unique('tree')
    const dir = join(files, batch)
    file(`${batch}/a.yaml`, namespaceYaml(`${batch}-a`, backend, {batch}))
    file(`${batch}/b.json`, JSON.stringify({kind: 'Namespace', name: `${batch}-b`, team: 'alpha', labels: {batch}}))
    file(`${batch}/sub/c.yaml`, namespaceYaml(`${batch}-c`, backend, {batch}))
    file(`${batch}/notes.txt`, 'not a document')
    const flat = await cli(['apply', '--filename', dir])
    expect([flat.code, flat.stdout]).toEqual([0, `namespace/${batch}-a created\nnamespace/${batch}-b created\n`])
    const deep = await cli(['apply', '-R', '-f', dir])
    expect([deep.code, deep.stdout]).toEqual([0, `namespace/${batch}-a unchanged\nnamespace/${batch}-b unchanged\nnamespace/${batch}-c created\n`])
    expect((await cli(['validate', '--recursive', dir])).stdout).toContain(`✓ ${join(dir, 'sub/c.yaml')}: 1 document valid`)
  })

  it('list -o json and -o yaml (namespaces and backends) apply back unchanged', async () => {
    const backend = await registerRedis()
    const batch = unique('trip')
    const docs = [0, 1, 2].map((i) => namespaceYaml(`${batch}-${i}`, backend, {batch}))
    expect((await cli(['apply', '-f', file(`${batch}.yaml`, docs.join('---\n'))])).code).toBe(0)
    const names = [0, 1, 2].map((i) => `namespace/${batch}-${i} unchanged`).join('\n')
    for (const format of ['json', 'yaml']) {
      const exported = await cli(['namespace', 'list', '-l', `batch=${batch}`, '-o', format])
      expect(exported.code).toBe(0)
      if (format === 'json') expect(json(exported).kind).toBe('List')
      const back = await cli(['apply', '-f', file(`${batch}-export.${format}`, exported.stdout)])
      expect([back.code, back.stderr, back.stdout]).toEqual([0, '', `${names}\n`])
      expect(await cli(['diff', '-f', '-'], {input: exported.stdout})).toMatchObject({code: 0, stdout: ''})
    }
    const backends = await cli(['backend', 'list', '--type', 'redis', '-o', 'json'])
    const back = await cli(['backend', 'update', '-f', '-'], {input: backends.stdout})
    expect(back.code).toBe(0)
    expect(back.stdout).toContain(`backend/${backend} updated\n`)
    const applied = await cli(['apply', '-f', '-'], {input: backends.stdout})
    expect(applied.code).toBe(0)
    expect(applied.stdout).toContain(`backend/${backend} unchanged\n`)
  })
})

describe('7. the default context is real; set switches only with --use; endpoints are checked', () => {
  it('lists and uses default, keeps the current context on set, and refuses bad endpoints', async () => {
    const dir = tempDir()
    const run = (args: string[]) => runCli(args, {configDir: dir})
    const list = await run(['context', 'list'])
    expect(list.stdout).toMatch(/^\*\s+default \(built in\)\s+127\.0\.0\.1:8981\s+http:\/\/localhost:5556\/dex$/m)
    expect(await run(['context', 'use', 'default'])).toMatchObject({code: 0, stdout: 'switched to context "default"\n'})

    expect((await run(['context', 'set', 'staging', '--admin-endpoint', server.endpoint])).stdout).toBe('context "staging" saved\n')
    expect((await run(['context', 'current'])).stdout).toBe('default\n')
    expect((await run(['context', 'set', 'staging', '--use'])).stdout).toBe('context "staging" saved and now current\n')
    expect((await run(['context', 'current'])).stdout).toBe('staging\n')
    expect((await run(['namespace', 'list', '-o', 'name'])).code).toBe(0)
    expect((await run(['context', 'use', 'default'])).code).toBe(0)
    expect((await run(['context', 'list', '-o', 'name'])).stdout).toBe('default\nstaging\n')

    const url = await run(['context', 'set', 'typo', '--admin-endpoint', 'http://prism.example:8981'])
    expect([url.code, url.stderr]).toEqual([
      2,
      'Error: --admin-endpoint takes HOST:PORT, not a URL: "http://prism.example:8981"\nHint: Write --admin-endpoint prism.example:8981; TLS is chosen with --tls, not with a scheme.\n',
    ])
    const noPort = await run(['context', 'set', 'typo', '--proxy-endpoint', 'prism.example'])
    expect([noPort.code, noPort.stderr]).toEqual([2, expect.stringContaining('--proxy-endpoint takes HOST:PORT, got "prism.example"')])
    expect((await run(['context', 'list', '-o', 'name'])).stdout).toBe('default\nstaging\n')
  })
})

describe('8. help, completion, "did you mean" and kubectl aliases', () => {
  it('help, help TOPIC, help COMMAND and -h show what --help shows', async () => {
    const root = await runCli(['--help'])
    expect(root.stdout).toContain('TOPICS')
    expect(await runCli(['help'])).toMatchObject({code: 0, stdout: root.stdout})
    expect(await runCli(['-h'])).toMatchObject({code: 0, stdout: root.stdout})
    const topic = await runCli(['namespace', '--help'])
    expect(topic.stdout).toContain('namespace apply')
    expect(await runCli(['help', 'namespace'])).toMatchObject({code: 0, stdout: topic.stdout})
    expect(await runCli(['help', 'ns'])).toMatchObject({code: 0, stdout: topic.stdout})
    const command = await runCli(['namespace', 'apply', '--help'])
    expect(command.stdout).toContain('--filename')
    expect(await runCli(['help', 'namespace', 'apply'])).toMatchObject({code: 0, stdout: command.stdout})
    expect(await runCli(['namespace', 'apply', '-h'])).toMatchObject({code: 0, stdout: command.stdout})
    const unknown = await runCli(['help', 'namespce'])
    expect([unknown.code, unknown.stderr]).toEqual([2, 'Error: no help for "namespce": there is no such topic or command; did you mean "namespace"?\nHint: See: prismctl help\n'])
  })

  it('suggests the near command, topic command and flag', async () => {
    expect((await runCli(['namespce', 'list'])).stderr).toBe('Error: command "namespce" not found; did you mean "namespace"?\nHint: See: prismctl --help\n')
    expect((await runCli(['namespace', 'lst'])).stderr).toBe('Error: command "namespace lst" not found; did you mean "namespace list"?\nHint: See: prismctl namespace --help\n')
    const flag = await runCli(['apply', '--fiel', 'x.yaml'])
    expect([flag.code, flag.stderr]).toEqual([2, 'Error: Nonexistent flag: --fiel; did you mean "--file"?\nHint: See: prismctl apply --help\n'])
  })

  it('ns, namespaces and backends are the topics; --filename is -f', async () => {
    const backend = await registerRedis()
    const ns = unique('ns')
    expect((await cli(['ns', 'apply', '--filename', file(`${ns}.yaml`, namespaceYaml(ns, backend))])).stdout).toBe(`namespace/${ns} created\n`)
    expect((await cli(['namespaces', 'get', ns, '-o', 'name'])).stdout).toBe(`namespace/${ns}\n`)
    expect((await cli(['ns', 'list', '-o', 'name'])).stdout).toContain(`namespace/${ns}\n`)
    expect((await cli(['backends', 'get', backend, '-o', 'name'])).stdout).toBe(`backend/${backend}\n`)
  })

  it('completion: the bash script completes commands, aliases, flags and flag values in a real bash', async () => {
    const script = await runCli(['completion', 'bash'])
    expect(script.code).toBe(0)
    const path = file('completion.bash', script.stdout)
    // Each line: what is typed so far (a trailing space starts a new word), then what bash offers.
    const complete = (typed: string): string => {
      const program = `source ${JSON.stringify(path)}; read -ra COMP_WORDS <<< ${JSON.stringify(typed)}; [[ ${JSON.stringify(typed)} == *' ' ]] && COMP_WORDS+=(''); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _prismctl; echo "\${COMPREPLY[*]}"`
      return execFileSync('bash', ['-c', program], {env: childEnv(), encoding: 'utf8'}).trim()
    }
    expect(complete('prismctl names')).toBe('namespace namespaces')
    expect(complete('prismctl namespace d')).toBe('delete diff')
    expect(complete('prismctl ns li')).toBe('list')
    expect(complete('prismctl apply --dr')).toBe('--dry-run')
    expect(complete('prismctl namespace get team-alpha -o ')).toBe('table json yaml name')
    expect(complete('prismctl apply --dry-run ')).toBe('none client server')
    expect(complete('prismctl completion ')).toContain('bash zsh fish')

    const zsh = await runCli(['completion', 'zsh'])
    expect(zsh.stdout).toMatch(/^#compdef prismctl\n/)
    expect(zsh.stdout).toContain('bashcompinit')
    const fish = await runCli(['completion', 'fish'])
    expect(fish.stdout).toContain("complete -c prismctl -n '__prismctl_at namespace:apply' -l file -l filename -s f -r -F")
    expect(fish.stdout).toContain("complete -c prismctl -n '__prismctl_at namespace:get' -l output -s o -x -a 'table json yaml name'")
    expect((await runCli(['completion', 'tcsh'])).code).toBe(2)
  })
})

describe("11. upstream Prism's YAML gets told what to write instead", () => {
  it('pattern: in a pattern or a slot binding, and a namespaces: list, located by file:line:col', async () => {
    const ns = unique('ns-up')
    const inPattern = file(`${ns}-pattern.yaml`, `kind: Namespace\nname: ${ns}\nteam: alpha\npatterns:\n  - name: cache\n    pattern: keyvalue\n    requires: [{slot: kv-store, backendType: redis}]\n`)
    const r1 = await cli(['validate', '-f', inPattern])
    expect(r1.code).toBe(1)
    expect(r1.stderr).toContain(`${inPattern}:6:5: patterns[0].pattern: unknown field "pattern" in Pattern; did you mean "type: keyvalue"?`)
    const inBinding = file(`${ns}-binding.yaml`, `kind: Namespace\nname: ${ns}\nteam: alpha\npatterns:\n  - name: cache\n    type: keyvalue\n    requires:\n      - slot: kv-store\n        pattern: keyvalue\n        backendType: redis\n`)
    const r2 = await cli(['validate', '-f', inBinding])
    expect(r2.stderr).toContain(`${inBinding}:9:9: patterns[0].requires[0].pattern: unknown field "pattern" in SlotBinding; a slot binding has only a slot and its backend`)
    expect(r2.stderr).toContain('the pattern\'s type goes on the pattern itself ("type: keyvalue", one level up)')
    const wrapped = ['namespaces:', `  - name: ${ns}-a`, '    patterns: []', `  - name: ${ns}-b`, '    patterns: []', ''].join('\n')
    for (const [name, text, line] of [[`${ns}-list.yaml`, wrapped, 1], [`${ns}-kind-list.yaml`, `kind: Namespace\n${wrapped}`, 2]] as const) {
      const path = file(name, text)
      const r = await cli(['validate', '-f', path])
      expect(r.code).toBe(1)
      expect(r.stderr).toContain(`${path}:${line}:1: namespaces: `)
      expect(r.stderr).toContain('write one document per namespace (kind: Namespace, name, team, patterns), separated by ---')
    }
  })

  it('backend: redis, where redis is a type and no backend of that name exists: did you mean backendType', async () => {
    const ns = unique('ns-up')
    const path = file(`${ns}.yaml`, `kind: Namespace\nname: ${ns}\nteam: alpha\npatterns:\n  - name: cache\n    type: keyvalue\n    requires: [{slot: kv-store, backend: redis}]\n`)
    const applied = await cli(['apply', '-f', path])
    expect(applied.code).toBe(1)
    expect(applied.stderr).toContain(`${path}:7:42: patterns[0].requires[0].backend: backend "redis" is not registered; did you mean "backendType: redis"?`)
    // A name that fails the name rule is caught before sending, with the same guidance.
    const s3 = file(`${ns}-s3.yaml`, `kind: Namespace\nname: ${ns}\nteam: alpha\npatterns:\n  - name: cache\n    type: keyvalue\n    requires: [{slot: kv-store, backend: S3}]\n`)
    const offline = await cli(['validate', '-f', s3])
    expect(offline.stderr).toContain(`${s3}:7:42: patterns[0].requires[0].backend: backend name "S3" is invalid`)
    expect(offline.stderr).toContain('did you mean "backendType: s3"?')
  })
})

describe('12. the smaller ones', () => {
  it("dry runs say kubectl's words: created, configured, unchanged (dry run); a bare --dry-run is client", async () => {
    const backend = await registerRedis()
    const ns = unique('ns-dry')
    const path = file(`${ns}.yaml`, namespaceYaml(ns, backend))
    expect((await cli(['namespace', 'create', '-f', path, '--dry-run=client'])).stdout).toBe(`namespace/${ns} created (dry run)\n`)
    expect((await cli(['namespace', 'apply', '-f', path, '--dry-run=client'])).stdout).toBe(`namespace/${ns} created (dry run)\n`)
    expect((await cli(['apply', '-f', path, '--dry-run'])).stdout).toBe(`namespace/${ns} created (dry run)\n`)
    expect((await cli(['namespace', 'get', ns])).code).toBe(1)
    expect((await cli(['namespace', 'apply', '-f', path])).code).toBe(0)
    expect((await cli(['namespace', 'apply', '--dry-run', '-f', path])).stdout).toBe(`namespace/${ns} unchanged (dry run)\n`)
    const changed = file(`${ns}-v2.yaml`, namespaceYaml(ns, backend, {env: 'prod'}))
    const configured = await cli(['apply', '-f', changed, '--dry-run', '--json'])
    expect(json(configured)).toEqual({dryRun: 'client', items: [{kind: 'Namespace', name: ns, source: changed, result: 'configured'}]})
    expect((await cli(['namespace', 'get', ns, '-o', 'json'])).stdout).toContain('"env": "test"')
    // --dry-run followed by its value still works.
    expect((await cli(['namespace', 'apply', '-f', changed, '--dry-run', 'server'])).stdout).toBe(`namespace/${ns} configured (server dry run)\n`)
  })

  it('--expected-version on a namespace that never existed says it does not exist', async () => {
    const ns = unique('ns-never')
    const r = await cli(['namespace', 'apply', '-f', file(`${ns}.yaml`, namespaceYaml(ns, await registerRedis())), '--expected-version', '3'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`namespace "${ns}" not found`)
    expect(r.stderr).not.toContain('changed by someone else')
    expect(json(await cli(['namespace', 'apply', '-f', join(files, `${ns}.yaml`), '--expected-version', '3', '--json'])).error.code).toBe('NOT_FOUND')
  })

  it('delete checks that the resource exists before asking for confirmation', async () => {
    for (const kind of ['namespace', 'backend']) {
      const missing = await cli([kind, 'delete', `no-such-${kind}`])
      expect([missing.code, missing.stderr]).toEqual([1, expect.stringContaining(`${kind} "no-such-${kind}" not found`)])
    }
    // An existing one still needs --yes without a terminal.
    const backend = await registerRedis()
    const existing = await cli(['backend', 'delete', backend])
    expect([existing.code, existing.stderr]).toEqual([2, expect.stringContaining('without confirmation')])
  })

  it('whoami under --auth none shows what the control plane grants, without a login', async () => {
    const text = await cli(['whoami'])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toContain('Principal: anonymous')
    expect(text.stdout).toMatch(/Roles: +admin.*\(the control plane runs with --auth none\)/)
    // No empty lines for what only a login has (issuer, subject, email, groups, expiry).
    expect(text.stdout.split('\n').filter(Boolean).map((line) => line.split(':')[0])).toEqual(['Context', 'Token', 'Principal', 'Roles'])
    const me = json(await cli(['whoami', '-o', 'json']))
    expect(me).toMatchObject({source: 'none', controlPlane: {reachable: true, authEnabled: false, principal: 'anonymous', roles: expect.arrayContaining(['admin'])}})
    // Not logged in and no control plane: still "not logged in".
    const away = await cli(['whoami'], {env: {PRISM_ADMIN_ENDPOINT: '127.0.0.1:1'}})
    expect([away.code, away.stderr]).toEqual([1, expect.stringContaining('not logged in')])
  })

  it('a missing required flag is named as typed: -f/--file', async () => {
    for (const args of [['namespace', 'apply'], ['apply'], ['backend', 'diff']]) {
      const r = await cli(args)
      expect([r.code, r.stderr.split('\n')[0]]).toEqual([2, 'Error: Missing required flag -f/--file'])
    }
  })

  it('--listen: a busy port is a clear error, an invalid one a usage error (admin serve and proxy serve)', async () => {
    const holder = createServer()
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
    const busy = `127.0.0.1:${(holder.address() as {port: number}).port}`
    try {
      for (const command of [['admin', 'serve', '--auth', 'none', '--store', `sqlite://${join(files, 'busy.db')}`], ['proxy', 'serve', '--auth', 'none', '--metrics-listen', '127.0.0.1:0']]) {
        const r = await cli([...command, '--listen', busy])
        expect([r.code, r.stderr]).toEqual([1, expect.stringContaining(`Error: cannot listen on ${busy} (--listen): the address is already in use`)])
        expect(r.stderr).not.toContain('No address added')
        for (const bad of ['127.0.0.1:99999', 'localhost', '127.0.0.1:80x']) {
          const usage = await cli([...command, '--listen', bad])
          expect([usage.code, usage.stderr]).toEqual([2, expect.stringContaining(`Error: --listen must be HOST:PORT with a port from 0 to 65535, got "${bad}"`)])
        }
      }
      const metrics = await cli(['proxy', 'serve', '--auth', 'none', '--listen', '127.0.0.1:0', '--metrics-listen', busy])
      expect([metrics.code, metrics.stderr]).toEqual([1, expect.stringContaining(`cannot listen on ${busy} (--metrics-listen): the address is already in use`)])
    } finally {
      holder.close()
    }
  })

  it("the README's ns.yaml and backend.yaml work with the commands that follow them", async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    const section = readme.slice(readme.indexOf('## Resources in YAML'), readme.indexOf('`-f` (or `--filename`)'))
    const dir = tempDir('prismctl-readme-')
    // Each YAML block names its file in its first line (# ns.yaml).
    const yamlBlocks = [...section.matchAll(/```yaml\n# (\S+)\n([\s\S]*?)```/g)]
    expect(yamlBlocks.map((m) => m[1])).toEqual(['backend.yaml', 'ns.yaml'])
    for (const [, name, body] of yamlBlocks) writeFileSync(join(dir, name!), body!)
    // The commands of the sh blocks that use those files (or what they create), in order, comments dropped.
    const commands = [...section.matchAll(/```sh\n([\s\S]*?)```/g)]
      .flatMap((m) => m[1]!.split('\n'))
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter((line) => /^prismctl (?!.*(delete|dir\/|all\.json|-l ))/.test(line) && /ns\.|backend|team-alpha/.test(line))
    expect(commands.length).toBeGreaterThanOrEqual(9)
    for (const line of commands) {
      const args = line.replace(/^prismctl /, '').split(/\s+/)
      const r = await cli(args, {cwd: dir})
      // Every one succeeds (diff after apply: no difference, exit 0).
      expect([line, r.code, r.stderr]).toEqual([line, 0, line.includes('--out') ? expect.stringContaining('wrote 1 document') : ''])
    }
  })
})
