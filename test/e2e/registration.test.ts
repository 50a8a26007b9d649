/**
 * The registration commands end to end: the built CLI against one real control plane (`admin serve`, SQLite) on
 * 127.0.0.1, over real gRPC. Every test uses its own resource names, so tests do not depend on each other's order.
 */
import {readFileSync, writeFileSync} from 'node:fs'
import {createServer, type AddressInfo, type Socket} from 'node:net'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startAdminServer, type AdminServer} from '../helpers/admin-server.js'
import {runCli, runCliOnTty, tempDir, type CliResult, type RunOptions} from '../helpers/cli.js'

let server: AdminServer
let configDir: string
let files: string
let counter = 0

beforeAll(async () => {
  server = await startAdminServer()
  configDir = tempDir()
  files = tempDir('prismctl-yaml-')
})

afterAll(async () => {
  await server?.stop()
})

/** A fresh valid resource name for this test run. */
function unique(prefix: string): string {
  counter += 1
  return `${prefix}-${counter}`
}

function cli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  return runCli(args, {configDir, ...options, env: {PRISM_ADMIN_ENDPOINT: server.endpoint, ...options.env}})
}

/** The run failed with `code`, and its stderr says each of `says`. */
function expectFailure(r: CliResult, code: number, ...says: string[]): void {
  expect(r.code).toBe(code)
  for (const text of says) expect(r.stderr).toContain(text)
}

function file(name: string, content: string): string {
  const path = join(files, name)
  writeFileSync(path, content)
  return path
}

function backendYaml(name: string, address = 'redis:6379'): string {
  return `kind: Backend\nname: ${name}\ntype: redis\nredis:\n  address: ${address}\ninterfaces: [keyvalue_basic, keyvalue_ttl]\n`
}

function namespaceYaml(name: string, backend: string, team = 'alpha'): string {
  return [
    'kind: Namespace',
    `name: ${name}`,
    `team: ${team}`,
    'labels:',
    '  env: test',
    'patterns:',
    '  - name: cache',
    '    type: keyvalue',
    '    requires:',
    '      - slot: kv-store',
    `        backend: ${backend}`,
    '',
  ].join('\n')
}

async function registerRedis(name: string): Promise<void> {
  const r = await cli(['backend', 'register', name, '--type', 'redis', '--address', 'redis:6379', '--interfaces', 'keyvalue_basic,keyvalue_ttl'])
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
}

/** A registered redis backend and a namespace file bound to it, not applied yet. */
async function namespaceFile(): Promise<{backend: string; ns: string; path: string}> {
  const backend = unique('redis')
  await registerRedis(backend)
  const ns = unique('ns')
  return {backend, ns, path: file(`${ns}.yaml`, namespaceYaml(ns, backend))}
}

function json(r: CliResult): any {
  return JSON.parse(r.stdout)
}

describe('backend commands', () => {
  it('register from flags, then list and get it in every output format', async () => {
    const name = unique('redis')
    const reg = await cli(['backend', 'register', name, '--type', 'redis', '--address', 'redis:6379', '--database', '2', '--interfaces', 'keyvalue_basic', '--label', 'env=dev'])
    expect(reg.stdout).toBe(`backend/${name} created\n`)
    expect(reg.code).toBe(0)

    const table = await cli(['backend', 'list', '--type', 'redis'])
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+TYPE\s+ADDRESS\s+INTERFACES\s+VERSION\s+AGE$/)
    expect(table.stdout).toMatch(new RegExp(`^${name}\\s+redis\\s+redis:6379/2\\s+keyvalue_basic\\s+1\\s+\\d+s$`, 'm'))

    expect((await cli(['backend', 'get', name, '-o', 'name'])).stdout).toBe(`backend/${name}\n`)
    const got = json(await cli(['backend', 'get', name, '-o', 'json']))
    expect(got).toMatchObject({kind: 'Backend', name, type: 'redis', redis: {address: 'redis:6379', database: 2}, labels: {env: 'dev'}, status: {meta: {version: '1'}}})
    const envelope = await cli(['backend', 'get', name, '--json'])
    expect(json(envelope)).toMatchObject({kind: 'Backend', name})
    expect((await cli(['backend', 'get', name, '-o', 'yaml'])).stdout).toContain(`kind: Backend\nname: ${name}\ntype: redis\n`)
  })

  it('refuses a flag that does not fit the type as a usage error, before calling the server', async () => {
    const r = await cli(['backend', 'register', unique('redis'), '--type', 'redis', '--url', 'nats://x:4222'], {env: {PRISM_ADMIN_ENDPOINT: '127.0.0.1:1'}})
    expectFailure(r, 2, '--url does not apply to --type redis')
  })

  it('register -f, then the same again is ALREADY_EXISTS with a hint', async () => {
    const name = unique('redis')
    const path = file(`${name}.yaml`, backendYaml(name))
    expect((await cli(['backend', 'register', '-f', path])).stdout).toBe(`backend/${name} created\n`)
    const again = await cli(['backend', 'register', '-f', path])
    expectFailure(again, 1, `backend "${name}" already exists`, 'Hint:')

    // From stdin: the YAML must reach -f -, not be taken for the optional NAME argument.
    const piped = unique('redis')
    expect(await cli(['backend', 'register', '-f', '-'], {input: backendYaml(piped)})).toMatchObject({code: 0, stdout: `backend/${piped} created\n`})
    expect(await cli(['backend', 'update', '-f', '-'], {input: backendYaml(piped, 'redis-5:6379')})).toMatchObject({code: 0, stdout: `backend/${piped} updated\n`})
  })

  it('update from flags keeps the rest, conflicts on a stale --expected-version, and update -f replaces', async () => {
    const name = unique('redis')
    await registerRedis(name)
    const upd = await cli(['backend', 'update', name, '--address', 'redis-2:6380', '--label', 'tier=gold'])
    expect(upd.stdout).toBe(`backend/${name} updated\n`)
    const got = json(await cli(['backend', 'get', name, '-o', 'json']))
    expect(got).toMatchObject({redis: {address: 'redis-2:6380'}, interfaces: ['keyvalue_basic', 'keyvalue_ttl'], labels: {tier: 'gold'}, status: {meta: {version: '2'}}})

    const stale = await cli(['backend', 'update', name, '--address', 'redis-3:6379', '--expected-version', '1', '--json'])
    expect(stale.code).toBe(1)
    expect(json(stale).error).toMatchObject({code: 'ABORTED'})
    expect(json(stale).error.hint).toContain(`prismctl backend get ${name} -o yaml`)

    const replaced = await cli(['backend', 'update', '-f', file(`${name}.yaml`, backendYaml(name, 'redis-4:6379')), '--expected-version', '2'])
    expect(replaced.stdout).toBe(`backend/${name} updated\n`)
    expect(json(await cli(['backend', 'get', name, '-o', 'json'])).redis.address).toBe('redis-4:6379')
  })

  it('delete needs --yes without a terminal, refuses a bound backend unless --force, and supports a server dry run', async () => {
    const {backend, ns, path} = await namespaceFile()
    expect((await cli(['namespace', 'create', '-f', path])).code).toBe(0)

    const noYes = await cli(['backend', 'delete', backend])
    expectFailure(noYes, 2, '--yes')

    const bound = await cli(['backend', 'delete', backend, '--yes'])
    expectFailure(bound, 1, ns, '--force')

    const dry = await cli(['backend', 'delete', backend, '--yes', '--force', '--dry-run=server'])
    expect(dry.stdout).toBe(`backend/${backend} deleted (server dry run)\n`)
    expect((await cli(['backend', 'get', backend, '-o', 'name'])).code).toBe(0)

    expect((await cli(['backend', 'delete', backend, '--yes', '--force'])).stdout).toBe(`backend/${backend} deleted\n`)
    const gone = await cli(['backend', 'get', backend])
    expectFailure(gone, 1, `backend "${backend}" not found`, 'prismctl backend list')
  })

  it('never shows static credentials: get and list in every format say REDACTED, and the export re-applies unchanged', async () => {
    const name = unique('pg')
    const secret = 'pw-e2e-7f3a9c'
    const path = file(`${name}.yaml`, `kind: Backend\nname: ${name}\ntype: postgres\npostgres: {host: db, port: 5432, database: app}\ncredentials: {static: {username: svc, password: ${secret}}}\n`)
    const rotated = file(`${name}-v2.yaml`, readFileSync(path, 'utf8').replace(secret, 'pw-e2e-rotated'))
    const registered = await cli(['backend', 'register', '-f', path, '--json'])
    expect(registered.code).toBe(0)
    const outputs = [
      registered,
      await cli(['backend', 'get', name, '--json']),
      await cli(['backend', 'get', name, '-o', 'json']),
      await cli(['backend', 'list', '--type', 'postgres', '-o', 'json']),
      await cli(['backend', 'list', '--type', 'postgres', '-o', 'yaml']),
    ]
    const exported = await cli(['backend', 'get', name, '-o', 'yaml'])
    for (const r of [...outputs, exported]) {
      expect(r.code).toBe(0)
      expect(r.stdout + r.stderr).not.toContain(secret)
    }
    expect(exported.stdout).toContain('credentials:\n  static:\n    username: svc\n    password: REDACTED\n')
    expect((await cli(['apply', '-f', '-'], {input: exported.stdout})).stdout).toBe(`backend/${name} unchanged\n`)
    // A changed secret is a difference even though neither side can show it.
    expect(await cli(['backend', 'diff', '-f', '-'], {input: exported.stdout})).toMatchObject({code: 0, stdout: ''})
    const newSecret = await cli(['backend', 'diff', '-f', rotated])
    expect(newSecret.code).toBe(1)
    expect(newSecret.stdout).toBe(`--- live/backend/${name}\n+++ merged/backend/${name}\n# only secret values differ (not shown)\n`)
    expect(newSecret.stdout + newSecret.stderr).not.toContain('pw-e2e-')
  })

  it('refuses credentials in nats.url (backend reads show it to every viewer) without echoing them, from a file and from flags', async () => {
    const name = unique('nats')
    const secret = 'url-pw-e2e-51c8'
    const path = file(`${name}.yaml`, `kind: Backend\nname: ${name}\ntype: nats\nnats:\n  url: nats://prism:${secret}@nats:4222\n`)
    const fromFile = await cli(['apply', '-f', path])
    expectFailure(fromFile, 1, `${path}:5:8: nats.url: nats.url must not hold credentials`, 'put them in credentials')
    const fromFlags = await cli(['backend', 'register', name, '--type', 'nats', '--url', `nats://prism:${secret}@nats:4222`])
    expectFailure(fromFlags, 1, 'nats.url must not hold credentials')
    for (const r of [fromFile, fromFlags]) expect(r.stdout + r.stderr).not.toContain(secret)
    expectFailure(await cli(['backend', 'get', name]), 1, 'not found')
  })

  it('list follows next_page_token across pages, and --limit stops early', async () => {
    const prefix = unique('bulk')
    const docs = Array.from({length: 105}, (_, i) => `kind: Backend\nname: ${prefix}-${i}\ntype: s3\ns3:\n  bucket: b${i}\n`).join('---\n')
    const applied = await cli(['apply', '-f', file(`${prefix}.yaml`, docs)])
    expect(applied.code).toBe(0)
    expect(applied.stdout.trim().split('\n')).toHaveLength(105)

    const all = (await cli(['backend', 'list', '--type', 's3', '-o', 'name'])).stdout.trim().split('\n')
    expect(all.filter((l) => l.startsWith(`backend/${prefix}-`))).toHaveLength(105)
    expect((await cli(['backend', 'list', '--type', 's3', '--limit', '7', '-o', 'name'])).stdout.trim().split('\n')).toHaveLength(7)
  })
})

describe('namespace commands', () => {
  it('create, then create again is ALREADY_EXISTS pointing at apply', async () => {
    const {ns, path} = await namespaceFile()
    const created = await cli(['namespace', 'create', '-f', path])
    expect(created.stdout).toBe(`namespace/${ns} created\n`)
    const again = await cli(['namespace', 'create', '-f', path])
    expectFailure(again, 1, `namespace "${ns}" already exists`, 'prismctl namespace apply')
  })

  it('apply reports created, unchanged and configured; dry runs store nothing', async () => {
    const {backend, ns, path} = await namespaceFile()

    // Client dry run: validated locally, and only read from the server (as kubectl does), to say what would happen.
    const client = await cli(['namespace', 'apply', '-f', path, '--dry-run=client'])
    expect(client.stdout).toBe(`namespace/${ns} created (dry run)\n`)
    const serverDry = await cli(['namespace', 'apply', '-f', path, '--dry-run=server'])
    expect(serverDry.stdout).toBe(`namespace/${ns} created (server dry run)\n`)
    expect((await cli(['namespace', 'get', ns])).code).toBe(1)

    expect((await cli(['namespace', 'apply', '-f', path])).stdout).toBe(`namespace/${ns} created\n`)
    expect((await cli(['namespace', 'apply', '-f', path])).stdout).toBe(`namespace/${ns} unchanged\n`)
    const changed = file(`${ns}-v2.yaml`, namespaceYaml(ns, backend, 'beta'))
    const configured = await cli(['namespace', 'apply', '-f', changed, '--json'])
    expect(json(configured)).toEqual({dryRun: 'none', items: [{kind: 'Namespace', name: ns, source: changed, result: 'configured', version: '2'}]})
  })

  it('get -o yaml re-applies as unchanged (status included in the export is ignored)', async () => {
    const {backend, ns, path} = await namespaceFile()
    await cli(['namespace', 'apply', '-f', path])
    const exported = await cli(['namespace', 'get', ns, '-o', 'yaml'])
    expect(exported.stdout).toMatch(/^kind: Namespace\n/)
    expect(exported.stdout).toContain('status:')
    const reapplied = await cli(['namespace', 'apply', '-f', '-'], {input: exported.stdout})
    expect(reapplied.stdout).toBe(`namespace/${ns} unchanged\n`)

    const backendExport = await cli(['backend', 'get', backend, '-o', 'yaml'])
    expect((await cli(['apply', '-f', '-'], {input: backendExport.stdout})).stdout).toBe(`backend/${backend} unchanged\n`)
  })

  it('get shows a kubectl-like table; list filters by team and label and emits --- separated YAML', async () => {
    const backend = unique('redis')
    await registerRedis(backend)
    const team = unique('team')
    const names = [unique('ns'), unique('ns')]
    for (const ns of names) await cli(['namespace', 'apply', '-f', file(`${ns}.yaml`, namespaceYaml(ns, backend, team))])

    const table = await cli(['namespace', 'get', names[0]!])
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+TEAM\s+PATTERNS\s+PHASE\s+SERVED BY\s+PARTITION\s+VERSION\s+AGE$/)
    expect(table.stdout).toMatch(new RegExp(`^${names[0]}\\s+${team}\\s+cache\\s+PENDING\\s+<none>\\s+\\d+\\s+1\\s+\\d+s$`, 'm'))

    const byTeam = await cli(['namespace', 'list', '--team', team, '-o', 'name'])
    expect(byTeam.stdout.trim().split('\n').sort()).toEqual(names.map((n) => `namespace/${n}`).sort())
    expect((await cli(['namespace', 'list', '--team', team, '-l', 'env=other', '-o', 'name'])).stdout).toBe('')
    expect((await cli(['namespace', 'list', '--team', team, '-l', 'env=test', '--limit', '1', '-o', 'name'])).stdout.trim().split('\n')).toHaveLength(1)

    const yaml = await cli(['namespace', 'list', '--team', team, '-o', 'yaml'])
    expect(yaml.stdout.split('\n---\n')).toHaveLength(2)
    const listed = json(await cli(['namespace', 'list', '--team', team, '--json']))
    expect(listed.items.map((i: {name: string}) => i.name).sort()).toEqual([...names].sort())
  })

  it('apply with a stale --expected-version is a conflict and writes nothing', async () => {
    const {backend, ns, path} = await namespaceFile()
    await cli(['namespace', 'apply', '-f', path])
    const changed = file(`${ns}-v2.yaml`, namespaceYaml(ns, backend, 'beta'))
    const conflict = await cli(['namespace', 'apply', '-f', changed, '--expected-version', '5'])
    expectFailure(conflict, 1, `conflict on namespace "${ns}"`, `prismctl namespace get ${ns} -o yaml`)
    expect(json(await cli(['namespace', 'get', ns, '-o', 'json'])).team).toBe('alpha')
    expect((await cli(['namespace', 'apply', '-f', changed, '--expected-version', '1'])).stdout).toBe(`namespace/${ns} configured\n`)
  })

  it('an invalid file is reported with file:line:col and nothing is sent', async () => {
    const ns = unique('ns')
    const path = file(`${ns}-bad.yaml`, `kind: Namespace\nname: ${ns}\nteam: alpha\npatterns:\n  - name: cache\n    typ: keyvalue\n`)
    const r = await cli(['namespace', 'apply', '-f', path])
    expectFailure(r, 1, `${path}:6:5: patterns[0].typ: unknown field "typ"`, 'nothing was sent')
    expect((await cli(['namespace', 'get', ns])).code).toBe(1)
  })

  it('a server-side violation is shown against the line of the file it came from', async () => {
    const ns = unique('ns')
    const path = file(`${ns}.yaml`, namespaceYaml(ns, 'redis-not-registered'))
    const r = await cli(['namespace', 'apply', '-f', path])
    expectFailure(r, 1, `${path}:11:18: patterns[0].requires[0].backend:`, 'redis-not-registered')
  })

  it('a huge label map or description is refused locally against the file; an oversized request by the server', async () => {
    const ns = unique('ns')
    // The size limits are checked before anything is sent (the server checks them again: server.test.ts).
    const labels = Array.from({length: 100}, (_, i) => `  k${i}: v`).join('\n')
    const many = await cli(['namespace', 'apply', '-f', file(`${ns}-labels.yaml`, `kind: Namespace\nname: ${ns}\nteam: alpha\nlabels:\n${labels}\n`)])
    expectFailure(many, 1, `${ns}-labels.yaml:4:1: labels: at most 64 entries are allowed, got 100`, 'nothing was sent')
    const long = await cli(['namespace', 'apply', '-f', file(`${ns}-long.yaml`, `kind: Namespace\nname: ${ns}\nteam: alpha\ndescription: ${'x'.repeat(2 * 1024 * 1024)}\n`)])
    expectFailure(long, 1, `${ns}-long.yaml:4:14: description: at most 1024 characters are allowed, got 2097152`, 'nothing was sent')

    // Within every limit, yet over the control plane's 1 MiB message size: 5 patterns of 64 settings of 4096 characters.
    const settings = Array.from({length: 64}, (_, i) => `      s${i}: ${'x'.repeat(4096)}`).join('\n')
    const patterns = Array.from({length: 5}, (_, i) => `  - name: cache-${i}\n    type: keyvalue\n    requires: [{slot: kv-store, backendType: redis}]\n    settings:\n${settings}`).join('\n')
    const huge = await cli(['namespace', 'apply', '-f', file(`${ns}-huge.yaml`, `kind: Namespace\nname: ${ns}\nteam: alpha\npatterns:\n${patterns}\n`)])
    expect(huge.code).toBe(1)
    expect(huge.stderr).toMatch(/^Error: the request is too large for the control plane at 127\.0\.0\.1:\d+: Received message larger than max \(\d+ vs \d+\)\nHint: Make the resource smaller/)
    expect((await cli(['namespace', 'get', ns])).code).toBe(1)
  })

  it('diff exits 0 when equal, 1 with a unified diff when different, and shows a new object as all added', async () => {
    const {backend, ns, path} = await namespaceFile()

    const created = await cli(['namespace', 'diff', '-f', path])
    expect(created.code).toBe(1)
    expect(created.stdout).toContain(`--- live/namespace/${ns}\n+++ merged/namespace/${ns}\n@@ -0,0 +1,11 @@\n+kind: Namespace\n`)

    await cli(['namespace', 'apply', '-f', path])
    const same = await cli(['namespace', 'diff', '-f', path])
    expect(same).toMatchObject({code: 0, stdout: ''})

    const changed = await cli(['namespace', 'diff', '-f', file(`${ns}-v2.yaml`, namespaceYaml(ns, backend, 'beta'))])
    expect(changed.code).toBe(1)
    expect(changed.stdout).toContain('-team: alpha\n+team: beta\n')

    const backendChange = await cli(['diff', '-f', file(`${backend}.yaml`, backendYaml(backend, 'redis-9:6379'))])
    expect(backendChange.code).toBe(1)
    expect(backendChange.stdout).toContain(`--- live/backend/${backend}`)
    expect(backendChange.stdout).toContain('-  address: redis:6379\n+  address: redis-9:6379\n')
  })

  it('delete: no TTY without --yes is a usage error; --dry-run=server keeps it; a stale version conflicts; --yes deletes', async () => {
    const {ns, path} = await namespaceFile()
    await cli(['namespace', 'apply', '-f', path])

    const noYes = await cli(['namespace', 'delete', ns])
    expectFailure(noYes, 2, 'Pass --yes')
    expect((await cli(['namespace', 'delete', ns, '--dry-run=server'])).stdout).toBe(`namespace/${ns} deleted (server dry run)\n`)
    const stale = await cli(['namespace', 'delete', ns, '--yes', '--expected-version', '9'])
    expectFailure(stale, 1, 'conflict')
    expect((await cli(['namespace', 'delete', ns, '--yes', '--json'])).stdout).toContain('"result": "deleted"')
    const gone = await cli(['namespace', 'get', ns, '--json'])
    expect(gone.code).toBe(1)
    expect(json(gone).error).toMatchObject({code: 'NOT_FOUND', message: `namespace "${ns}" not found`})
  })
})

describe('not found', () => {
  it('every command that takes a NAME says what is missing and how to list what exists', async () => {
    const ns = unique('missing-ns')
    const be = unique('missing-be')
    const runs = await Promise.all([
      cli(['namespace', 'delete', ns, '--yes']),
      cli(['backend', 'delete', be, '--yes']),
      cli(['backend', 'update', be, '--address', 'redis:6379', '--json']),
    ])
    expectFailure(runs[0]!, 1, `Error: namespace "${ns}" not found`, 'Hint: See what exists with: prismctl namespace list')
    expectFailure(runs[1]!, 1, `Error: backend "${be}" not found`, 'Hint: See what exists with: prismctl backend list')
    expect(runs[2]!.code).toBe(1)
    expect(json(runs[2]!).error).toEqual({code: 'NOT_FOUND', message: `backend "${be}" not found`, hint: 'See what exists with: prismctl backend list', details: []})
  })
})

describe('delete on a terminal', () => {
  it('asks for confirmation: "n" keeps the namespace (exit 1), "y" deletes it', async () => {
    const {ns, path} = await namespaceFile()
    await cli(['namespace', 'apply', '-f', path])
    const tty = (answer: string) =>
      runCliOnTty(['namespace', 'delete', ns], {configDir, env: {PRISM_ADMIN_ENDPOINT: server.endpoint}, reply: {when: /Delete namespace "[^"]+"\?/, send: `${answer}\r`}})

    const declined = await tty('n')
    expect(declined.code).toBe(1)
    expect(declined.stdout).toContain(`cancelled: did not delete namespace "${ns}"`)
    expect((await cli(['namespace', 'get', ns, '-o', 'name'])).code).toBe(0)

    const accepted = await tty('y')
    expect(accepted.code).toBe(0)
    expect(accepted.stdout).toContain(`namespace/${ns} deleted`)
    expect((await cli(['namespace', 'get', ns])).code).toBe(1)
  })
})

describe('get -f', () => {
  it('shows what is stored for what the files name, in every format; -o yaml re-applies unchanged; missing ones fail after the rest', async () => {
    const backend = unique('redis')
    const ns = unique('ns')
    const path = file(`${ns}-get.yaml`, `${namespaceYaml(ns, backend)}---\n${backendYaml(backend)}`)
    expect((await cli(['apply', '-f', path])).code).toBe(0)

    const table = await cli(['get', '-f', path])
    expect(table.code, table.stderr).toBe(0)
    const [backends, namespaces] = table.stdout.trimEnd().split('\n\n')
    expect(backends!.split('\n').map((l) => l.split(/\s+/)[0])).toEqual(['NAME', backend])
    expect(namespaces!.split('\n').map((l) => l.split(/\s+/)[0])).toEqual(['NAME', ns])
    expect((await cli(['get', '-f', path, '-o', 'name'])).stdout).toBe(`namespace/${ns}\nbackend/${backend}\n`)
    const json = JSON.parse((await cli(['get', '-f', path, '-o', 'json'])).stdout)
    expect(json.items.map((i: {kind: string; name: string}) => `${i.kind}/${i.name}`)).toEqual([`Namespace/${ns}`, `Backend/${backend}`])
    expect(JSON.parse((await cli(['get', '-f', path, '--json'])).stdout)).toEqual(json)
    const yaml = await cli(['get', '-f', path, '-o', 'yaml'])
    expect((await cli(['apply', '-f', '-'], {input: yaml.stdout})).stdout).toBe(`backend/${backend} unchanged\nnamespace/${ns} unchanged\n`)

    const gone = unique('ns')
    const partly = file(`${gone}-partly.yaml`, `${namespaceYaml(gone, backend)}---\n${backendYaml(backend)}`)
    const missing = await cli(['get', '-f', partly, '-o', 'name'])
    expect([missing.code, missing.stdout]).toEqual([1, `backend/${backend}\n`])
    expect(missing.stderr).toContain(`Error: namespace/${gone} not found`)
    // The shape follows the files (two named: a List), not what exists; the error comes with it.
    const missingJson = JSON.parse((await cli(['get', '-f', partly, '--json'])).stdout)
    expect([missingJson.error.code, missingJson.kind, missingJson.items.map((i: {name: string}) => i.name)]).toEqual(['NOT_FOUND', 'List', [backend]])
    const none = await cli(['get', '-f', file(`${gone}-none.yaml`, namespaceYaml(gone, backend)), '-o', 'json', '--ignore-not-found'])
    expect([none.code, none.stdout]).toEqual([0, ''])
    const noneOfTwo = await cli(['get', '-f', partly, '-f', file(`${gone}-b.yaml`, backendYaml(`${gone}-b`)), '-o', 'json', '--ignore-not-found'])
    expect(JSON.parse(noneOfTwo.stdout).items.map((i: {name: string}) => i.name)).toEqual([backend])
    expect(await cli(['get', '-f', partly, '-o', 'name', '--ignore-not-found'])).toMatchObject({code: 0, stdout: `backend/${backend}\n`})
  })
})

describe('delete -f', () => {
  it('deletes what the files name, Namespaces first, after one check; dry runs and missing ones as kubectl does', async () => {
    const backend = unique('redis')
    const ns = unique('ns')
    const path = file(`${ns}-stack.yaml`, `${backendYaml(backend)}---\n${namespaceYaml(ns, backend)}`)
    await cli(['apply', '-f', path])
    // Without a terminal, --yes is needed, and that is said before anything is asked of the control plane.
    expectFailure(await cli(['delete', '-f', path]), 2, 'without confirmation', '--yes')
    expectFailure(await cli(['delete', '-f', path], {env: {PRISM_ADMIN_ENDPOINT: '127.0.0.1:1'}}), 2, 'without confirmation')
    // A bare --dry-run is kubectl's client dry run: what exists would be deleted, nothing is sent to do it.
    const client = await cli(['delete', '-f', path, '--dry-run'])
    expect([client.code, client.stdout]).toEqual([0, `namespace/${ns} deleted (dry run)\nbackend/${backend} deleted (dry run)\n`])
    const dry = await cli(['delete', '-f', path, '--dry-run=server'])
    expect([dry.code, dry.stdout]).toEqual([0, `namespace/${ns} deleted (server dry run)\nbackend/${backend} deleted (server dry run)\n`])
    expect((await cli(['namespace', 'get', ns, '-o', 'name'])).code).toBe(0)

    const deleted = await cli(['delete', '-f', path, '--yes', '--json'])
    expect(deleted.code, deleted.stderr).toBe(0)
    expect(JSON.parse(deleted.stdout).items.map((i: {kind: string; name: string; result: string}) => `${i.kind}/${i.name} ${i.result}`)).toEqual([`Namespace/${ns} deleted`, `Backend/${backend} deleted`])
    expect((await cli(['backend', 'get', backend])).code).toBe(1)

    // Gone already: each one fails (exit 1), unless --ignore-not-found.
    const again = await cli(['delete', '-f', path, '--yes'])
    expectFailure(again, 1, '2 of 2 documents failed', `namespace "${ns}" not found`, '--ignore-not-found')
    const ignored = await cli(['delete', '-f', path, '--yes', '--ignore-not-found'])
    expect([ignored.code, ignored.stdout, ignored.stderr]).toEqual([0, '', ''])
  })

  it('on a terminal asks once, naming what exists (after saying what does not), and deletes on "y" only', async () => {
    const backend = unique('redis')
    const ns = unique('ns')
    const gone = unique('ns')
    const path = file(`${ns}-ask.yaml`, `${backendYaml(backend)}---\n${namespaceYaml(ns, backend)}---\n${namespaceYaml(gone, backend)}`)
    await cli(['apply', '-f', file(`${ns}-ask-setup.yaml`, `${backendYaml(backend)}---\n${namespaceYaml(ns, backend)}`)])
    const tty = (answer: string) =>
      runCliOnTty(['delete', '-f', path], {configDir, env: {PRISM_ADMIN_ENDPOINT: server.endpoint}, reply: {when: /Delete [^?]+\?/, send: `${answer}\r`}})
    const declined = await tty('n')
    expect(declined.code).toBe(1)
    expect(declined.stdout).toContain(`Delete namespace/${ns}, backend/${backend}?`)
    expect(declined.stdout).toContain('cancelled: did not delete 2 resources')
    expect((await cli(['namespace', 'get', ns, '-o', 'name'])).code).toBe(0)
    const accepted = await tty('y')
    expect(accepted.code).toBe(1)
    expect(accepted.stdout).toMatch(new RegExp(`namespace/${ns} deleted[\\s\\S]*namespace "${gone}" not found[\\s\\S]*backend/${backend} deleted`))
    expect((await cli(['backend', 'get', backend])).code).toBe(1)
  })

  it('a server dry run still refuses a Backend that a namespace outside the files binds', async () => {
    const backend = unique('redis')
    const ns = unique('ns')
    await cli(['apply', '-f', file(`${ns}-both.yaml`, `${backendYaml(backend)}---\n${namespaceYaml(ns, backend)}`)])
    const r = await cli(['delete', '-f', file(`${backend}-only.yaml`, backendYaml(backend)), '--dry-run=server'])
    expectFailure(r, 1, `Backend ${backend} is bound by namespace ${ns}`)
    const real = await cli(['delete', '-f', file(`${backend}-only.yaml`, backendYaml(backend)), '--yes'])
    expectFailure(real, 1, `Backend ${backend} is bound by namespace ${ns}`)
    expect((await cli(['backend', 'get', backend, '-o', 'name'])).code).toBe(0)
  })

  it('deletes a document that breaks a rule (only kind and name matter), and nothing when a file cannot be read', async () => {
    const ns = unique('ns')
    const backend = unique('redis')
    expect((await cli(['apply', '-f', file(`${ns}.yaml`, `${backendYaml(backend)}---\n${namespaceYaml(ns, backend)}`)])).code).toBe(0)
    const broken = file(`${ns}-broken.yaml`, `kind: Namespace\nname: ${ns}\nteam: alpha\npatterns:\n  - name: cache\n    type: keyvalue\n    requires: [{slot: Not A Slot, backendType: redis}]\n`)
    const unreadable = file(`${ns}-bad.yaml`, 'kind: Namespace\nname: [oops\n')
    const refused = await cli(['delete', '-f', broken, '-f', unreadable, '--yes'])
    expectFailure(refused, 1, `${unreadable}:3:1: invalid YAML`, 'nothing was deleted')
    expect((await cli(['namespace', 'get', ns, '-o', 'name'])).code).toBe(0)
    const r = await cli(['delete', '-f', broken, '--yes'])
    expect([r.code, r.stdout]).toEqual([0, `namespace/${ns} deleted\n`])
  })
})

describe('apply', () => {
  it('applies Backends before Namespaces from one file, and from a directory', async () => {
    const backend = unique('redis')
    const ns = unique('ns')
    const path = file(`${ns}-mixed.yaml`, `${namespaceYaml(ns, backend)}---\n${backendYaml(backend)}`)
    const r = await cli(['apply', '-f', path])
    expect(r.stdout).toBe(`backend/${backend} created\nnamespace/${ns} created\n`)
    expect(r.code).toBe(0)

    const dir = tempDir('prismctl-dir-')
    writeFileSync(join(dir, 'a.yaml'), namespaceYaml(ns, backend))
    writeFileSync(join(dir, 'b.yaml'), backendYaml(backend))
    expect((await cli(['apply', '-f', dir])).stdout).toBe(`backend/${backend} unchanged\nnamespace/${ns} unchanged\n`)
    expect((await cli(['apply', '-f', join(dir, 'a.yaml'), '-f', join(dir, 'b.yaml')])).stdout).toBe(`backend/${backend} unchanged\nnamespace/${ns} unchanged\n`)
  })

  it('namespace apply refuses Backend documents and names prismctl apply', async () => {
    const name = unique('redis')
    const r = await cli(['namespace', 'apply', '-f', file(`${name}.yaml`, backendYaml(name))])
    expectFailure(r, 1, 'prismctl apply -f')
  })

  it('when one document fails the others are still applied, and the failure is named', async () => {
    const backend = unique('redis')
    const good = unique('ns')
    const bad = unique('ns')
    const path = file(`${good}-partial.yaml`, `${backendYaml(backend)}---\n${namespaceYaml(bad, 'redis-missing')}---\n${namespaceYaml(good, backend)}`)
    const r = await cli(['apply', '-f', path])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe(`backend/${backend} created\nnamespace/${good} created\n`)
    expect(r.stderr).toContain('1 of 3 documents failed')
    expect(r.stderr).toContain(`namespace/${bad} (${path} (document 2))`)
  })
})

describe('connection', () => {
  it('an unreachable control plane is one clear error with a hint, not a gRPC dump', async () => {
    const r = await cli(['namespace', 'list'], {env: {PRISM_ADMIN_ENDPOINT: '127.0.0.1:1'}})
    expectFailure(r, 1, 'Error: cannot reach the control plane at 127.0.0.1:1', 'prismctl admin serve')
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/)
    const asJson = await cli(['namespace', 'get', 'x-y-z', '--json', '--admin-endpoint', '127.0.0.1:1'])
    expect(json(asJson).error.code).toBe('UNAVAILABLE')
  })

  it('a server that accepts connections but never answers fails at the --timeout deadline', async () => {
    const sockets: Socket[] = []
    const silent = createServer((socket) => sockets.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const endpoint = `127.0.0.1:${(silent.address() as AddressInfo).port}`
      const r = await cli(['namespace', 'get', 'x-y-z', '--timeout', '500ms', '--admin-endpoint', endpoint])
      expectFailure(r, 1, `the control plane at ${endpoint} did not answer within 0.5s`, '--timeout')
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => silent.close(resolve))
    }
  })

  it('contexts: set, use, list, current, and the admin endpoint precedence flag > env > context', async () => {
    const dir = tempDir()
    const run = (args: string[], env: Record<string, string | undefined> = {}) => runCli(args, {configDir: dir, env})
    expect((await run(['context', 'set', 'local', '--admin-endpoint', server.endpoint, '--use'])).stdout).toBe('context "local" saved and now current\n')
    expect((await run(['context', 'set', 'broken', '--admin-endpoint', '127.0.0.1:1'])).code).toBe(0)
    expect((await run(['context', 'current'])).stdout).toBe('local\n')
    expect((await run(['namespace', 'list', '-o', 'name'])).code).toBe(0)

    expect((await run(['context', 'use', 'broken'])).stdout).toBe('switched to context "broken"\n')
    const list = await run(['context', 'list'])
    expect(list.stdout).toMatch(/^\*\s+broken\s+127\.0\.0\.1:1\s/m)
    expect((await run(['namespace', 'list'])).stderr).toContain('cannot reach the control plane at 127.0.0.1:1')
    expect((await run(['namespace', 'list', '-o', 'name', '--context', 'local'])).code).toBe(0)
    expect((await run(['namespace', 'list', '-o', 'name'], {PRISM_ADMIN_ENDPOINT: server.endpoint})).code).toBe(0)
    expect((await run(['namespace', 'list', '-o', 'name', '--admin-endpoint', server.endpoint], {PRISM_ADMIN_ENDPOINT: '127.0.0.1:1'})).code).toBe(0)

    const missing = await run(['namespace', 'list', '--context', 'nope'])
    expectFailure(missing, 2, 'context "nope" does not exist')
    expect((await run(['context', 'delete', 'broken'])).stdout).toBe('context "broken" deleted\n')
    expect(json(await run(['context', 'list', '--json'])).contexts.map((c: {name: string}) => c.name)).toEqual(['default', 'local'])
  })
})
