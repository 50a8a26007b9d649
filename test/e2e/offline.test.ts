/**
 * The offline commands as users run them: the built CLI, real files, stdin, exit codes and messages. Exhaustive
 * cases live in the unit tests (src/model/*.test.ts); here each spawn covers what only the CLI can show.
 */
import {spawnSync} from 'node:child_process'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {COMMANDS} from '../../src/cli.js'
import {BIN, childEnv, ROOT, runCli, runCliOnTty, tempDir} from '../helpers/cli.js'

const EXAMPLES = join(ROOT, 'templates/examples')
const STACK_FRAME = /^\s+at .+\(?.+:\d+:\d+\)?$/m
let dir: string

beforeAll(() => {
  dir = tempDir('prismctl-offline-')
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))

function expectCleanError(stderr: string): void {
  expect(stderr).not.toMatch(STACK_FRAME)
  expect(stderr).toMatch(/^Error: /)
  expect(stderr).toMatch(/\nHint: .+\n$/)
}

describe('secrets in messages (redaction by location)', () => {
  const backend = (credentials: string) => ['kind: Backend', 'name: redis-a', 'type: redis', 'redis: {address: "redis:6379"}', credentials, ''].join('\n')

  it('validate -f and apply never print a numeric static password, in text or JSON', async () => {
    const file = join(dir, 'numeric-password.yaml')
    writeFileSync(file, backend('credentials:\n  static:\n    username: svc\n    password: 98765432101234'))
    for (const args of [['validate', '-f', file], ['validate', '-f', file, '--json'], ['apply', '-f', file]]) {
      const r = await runCli(args)
      expect(r.code).toBe(1)
      expect(r.stdout + r.stderr).not.toContain('98765432101234')
      expect(r.stdout + r.stderr).toContain('expected a string, got a number; quote it (the value is not shown: it is a secret)')
      expect(r.stdout + r.stderr).not.toContain('[REDACTED]')
    }
  })

  it('never print a secret a typo put in a key or in a wrong shape, and refuse an alias with no anchor', async () => {
    const typos = join(dir, 'typos.yaml')
    writeFileSync(typos, [backend('credentials: {static: {username: svc, password SEKRIT-A}}'), backend('credentials: "svc:SEKRIT-B"')].join('---\n'))
    const alias = join(dir, 'alias.yaml')
    writeFileSync(alias, backend('credentials: {static: {username: svc, password: *pw}}'))
    for (const args of [['validate', '-f', typos], ['validate', '-f', typos, '--json'], ['apply', '-f', typos]]) {
      const r = await runCli(args)
      expect(r.code).toBe(1)
      expect(r.stdout + r.stderr).not.toMatch(/SEKRIT/)
      expect(r.stdout + r.stderr).toContain('unknown field in StaticCredentials (its name is not shown: it may hold a secret)')
      expect(r.stdout + r.stderr).toContain('expected a mapping (Credentials), got a string (not shown: it may be a secret)')
    }
    // apply would have sent the document without its password, and the control plane would have dropped the stored one.
    for (const args of [['validate', '-f', alias], ['apply', '-f', alias]]) {
      const r = await runCli(args)
      expect(r.code).toBe(1)
      expect(r.stderr).toContain(`${alias}:5:49: credentials.static.password: alias *pw has no anchor &pw before it in this document`)
    }
  })

  it('keeps the words of a message and of a hint with a placeholder URL', async () => {
    const file = join(dir, 'misplaced-password.yaml')
    writeFileSync(file, backend('credentials:\n  password: hunter2'))
    const r = await runCli(['validate', '-f', file])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`${file}:6:3: credentials.password: unknown field "password" in Credentials`)
    // The message carries a real URL password (redacted); the hint a placeholder (shown as written).
    const serve = await runCli(['admin', 'serve', '--auth', 'none', '--store', 'mysql://u:s3cret-pw@db/prism'])
    expect(serve.code).toBe(2)
    expect(serve.stderr).toContain('Error: Unsupported store URL: mysql://u:[REDACTED]@db/prism')
    expect(serve.stderr).toContain('Hint: Use sqlite:///absolute/path.db or postgres://user:password@host:5432/database.')
    expect(serve.stderr).not.toContain('s3cret-pw')
  })

  it('admin serve hides a store URL password that URL parsing gets wrong ("@", a space, a quote, a "/")', async () => {
    for (const password of ['PW@SECRET_B', 'PW SECRET_F', 'PW"SECRET_G', 'PW/SECRET_C']) {
      const r = await runCli(['admin', 'serve', '--listen', '127.0.0.1:0', '--auth', 'none', '--store', `postgres://prism:${password}@127.0.0.1:1/db`], {timeoutMs: 20_000})
      expect(r.code, password).toBe(1)
      expect(r.stderr).toContain('Error: Cannot open the PostgreSQL store at postgres://prism:[REDACTED]@127.0.0.1:1/db: ')
      expect(r.stdout + r.stderr, password).not.toContain('SECRET')
    }
  })
})

describe('validate', () => {
  it('reports schema errors and rule violations of the same document together, each once', async () => {
    const file = join(dir, 'mixed.yaml')
    writeFileSync(
      file,
      ['kind: Namespace', 'name: Bad_Name', 'team: platform-team', 'colour: blue', 'patterns:', '  - name: 42', '  - name: cache', '    type: keyvalue', '    requires: [{slot: kvstore, backendType: memstore, extra: 1}]', ''].join('\n'),
    )
    const r = await runCli(['validate', '-f', file, '--json'])
    expect(r.code).toBe(1)
    const problems = (JSON.parse(r.stdout).error.details as {path: string; line: number; message: string}[]).map((d) => `${d.line} ${d.path}`)
    // Schema: the unknown fields and the wrongly typed name; rules: the bad names and slot, at their own lines, the
    // second pattern still at index 1 although the first could not be read.
    expect(problems).toEqual(
      expect.arrayContaining(['2 name', '4 colour', '6 patterns[0].name', '9 patterns[1].requires[0].slot', '9 patterns[1].requires[0].extra']),
    )
    // The unreadable pattern name is reported once, as the type error it is.
    expect(problems.filter((p) => p === '6 patterns[0].name')).toHaveLength(1)
  })

  it('passes every example, file by file', async () => {
    const r = await runCli(['validate', '-f', EXAMPLES])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`✓ ${join(EXAMPLES, 'team-alpha.yaml')}: 4 documents valid\n`)
    expect(r.stdout).toContain(`✓ ${join(EXAMPLES, 'backends.yaml')}: 7 documents valid\n`)
    expect(r.stdout.trim().split('\n')).toHaveLength(6)
  })

  it('takes paths as arguments too, together with -f', async () => {
    const r = await runCli(['namespace', 'validate', join(EXAMPLES, 'orders-pipeline.yaml'), '-f', join(EXAMPLES, 'kv-memstore.yaml')])
    expect([r.code, r.stderr]).toEqual([0, ''])
    expect(r.stdout).toContain(`✓ ${join(EXAMPLES, 'orders-pipeline.yaml')}: 1 document valid\n`)
    expect(r.stdout).toContain(`✓ ${join(EXAMPLES, 'kv-memstore.yaml')}: 1 document valid\n`)
    const wrongKind = await runCli(['namespace', 'validate', EXAMPLES])
    expect(wrongKind.code).toBe(1)
    expect(wrongKind.stderr).toContain('expected a Namespace document, found Backend')
  })

  it('reports every problem with file, line, column and field, and exits 1', async () => {
    const r = await runCli(['validate', '-f', 'test/fixtures/invalid-namespace.yaml'])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(`Error: test/fixtures/invalid-namespace.yaml: 4 problems
  test/fixtures/invalid-namespace.yaml:3:7: name: namespace name "Team_Alpha" is invalid: use 3 to 63 lowercase letters, digits or '-', starting with a letter
  test/fixtures/invalid-namespace.yaml:9:5: patterns[0].requires: pattern type keyvalue 1.1.0 needs slot kv-store in requires
  test/fixtures/invalid-namespace.yaml:10:15: patterns[0].requires[0].slot: slot "kvstore" must be named {purpose}-{type}, e.g. kv-store or message-sink
  test/fixtures/invalid-namespace.yaml:13:11: patterns[1].type: the session-manager must be the first pattern
Hint: Fix the problems listed. Documents are the proto3 JSON form of proto/prism/admin/v1/resources.proto plus kind:; templates/examples/ has complete ones.
`)
  })

  it('reads stdin with -f - and answers --json', async () => {
    const r = await runCli(['validate', '-f', '-', '--json'], {input: readFileSync(join(EXAMPLES, 'kv-memstore.yaml'), 'utf8')})
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({
      valid: true,
      files: [{file: '<stdin>', documents: 1}],
      documents: [{file: '<stdin>', index: 0, kind: 'Namespace', name: 'scratch-kv'}],
      problems: [],
    })
  })

  it('puts the problems in the --json error envelope', async () => {
    const r = await runCli(['validate', '-f', 'test/fixtures/bad/unknown-enum.yaml', '--json'])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe('')
    expect(JSON.parse(r.stdout)).toEqual({
      error: {
        code: 'INVALID_ARGUMENT',
        message: 'test/fixtures/bad/unknown-enum.yaml: 1 problem',
        hint: expect.stringMatching(/^Fix the problems listed\. /),
        details: [
          {
            file: 'test/fixtures/bad/unknown-enum.yaml',
            line: 3,
            column: 7,
            path: 'type',
            message: 'unknown BackendType "rediss"; expected one of redis, nats, kafka, postgres, sqlite, s3, memstore; did you mean "redis"?',
          },
        ],
      },
    })
  })

  it('namespace validate rejects backends; backend validate accepts them', async () => {
    const ns = await runCli(['namespace', 'validate', '-f', join(EXAMPLES, 'team-alpha.yaml')])
    expect(ns.code).toBe(1)
    expectCleanError(ns.stderr)
    expect(ns.stderr).toContain(`${join(EXAMPLES, 'team-alpha.yaml')}:3:7: kind: expected a Namespace document, found Backend; check it with "prismctl backend validate"`)
    const be = await runCli(['backend', 'validate', '-f', join(EXAMPLES, 'backends.yaml')])
    expect([be.code, be.stdout]).toEqual([0, `✓ ${join(EXAMPLES, 'backends.yaml')}: 7 documents valid\n`])
  })

  it('reports every kind of bad input in one run, each with a clear message', async () => {
    writeFileSync(join(dir, 'garbage.yaml'), Buffer.from([0x00, 0x8f, 0xff, 0x13, 0x37, 0x00]))
    writeFileSync(join(dir, 'latin1.yaml'), Buffer.from('kind: Namespace\nname: caf\xe9\n', 'latin1'))
    writeFileSync(join(dir, 'deep.yaml'), `kind: Namespace\nname: ${'['.repeat(500_000)}`)
    const r = await runCli(['validate', '-f', 'test/fixtures/bad', '-f', join(dir, 'garbage.yaml'), '-f', join(dir, 'latin1.yaml'), '-f', join(dir, 'deep.yaml')])
    expect(r.code).toBe(1)
    expectCleanError(r.stderr)
    for (const line of [
      'test/fixtures/bad/alias-bomb.yaml:3:1: uses more than 100 alias references; expand the aliases (anchors like &x and *x)',
      'test/fixtures/bad/duplicate-keys.yaml:4:1: name: duplicate field "name" (already set on line 2)',
      // Rule violations of documents that also have schema problems come in the same run (issue 11, item 10).
      'test/fixtures/bad/duplicate-keys.yaml:1:1: redis: a redis backend needs a "redis:" config block',
      'test/fixtures/bad/empty.yaml: contains no documents; expected YAML with kind: Namespace or kind: Backend',
      'test/fixtures/bad/missing-kind.yaml:1:1: missing "kind"; add "kind: Namespace" or "kind: Backend"',
      'test/fixtures/bad/out-of-range.yaml:4:42: redis.database: expected an integer from 0 to 4294967295, got number 1099511627776',
      'test/fixtures/bad/out-of-range.yaml:9:42: redis.database: expected an integer from 0 to 4294967295, got number -1',
      'test/fixtures/bad/unknown-enum.yaml:3:7: type: unknown BackendType "rediss"',
      'test/fixtures/bad/wrong-types.yaml:3:7: team: expected a string, got a list',
      'test/fixtures/bad/wrong-types.yaml:7:19: patterns[0].sessionAware: expected true or false, got string "true"',
      'test/fixtures/bad/wrong-types.yaml:5:5: patterns[0].requires: pattern type keyvalue 1.1.0 needs slot kv-store in requires',
      `${join(dir, 'garbage.yaml')}: is a binary file, not YAML`,
      `${join(dir, 'latin1.yaml')}: is not valid UTF-8 text; save it as UTF-8`,
      `${join(dir, 'deep.yaml')}:2:71: is nested more than 64 levels deep`,
    ]) {
      expect(r.stderr).toContain(`  ${line}`)
    }
    expect(r.stderr).toMatch(/^Error: 14 problems in 10 files\n/)
  })

  it('refuses a 20 MB file without reading it whole', async () => {
    const big = join(dir, 'big.yaml')
    writeFileSync(big, `kind: Namespace\ndescription: ${'x'.repeat(20 * 1024 * 1024)}\n`)
    const r = await runCli(['validate', '-f', big])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(`Error: ${big} is larger than 4 MiB, the limit for one file
Hint: Split it into several files (one resource per file works well) and pass them, or their directory, with -f.
`)
  })

  it('says which path is missing', async () => {
    const r = await runCli(['validate', '-f', 'no-such.yaml'])
    expect([r.code, r.stderr]).toEqual([1, 'Error: cannot read no-such.yaml: no such file or directory\nHint: Check the path given with -f (use - for stdin).\n'])
  })
})

describe('convert', () => {
  it('round-trips YAML → binpb → YAML → binpb through files with identical bytes', async () => {
    const source = join(EXAMPLES, 'orders-pipeline.yaml')
    const [bin1, yaml, bin2] = ['one.binpb', 'back.yaml', 'two.binpb'].map((f) => join(dir, f))
    const a = await runCli(['convert', '-f', source, '--to', 'binpb', '--out', bin1!])
    expect([a.code, a.stderr]).toEqual([0, `wrote 1 document to ${bin1}\n`])
    const b = await runCli(['convert', '-f', bin1!, '--kind', 'Namespace', '--to', 'yaml', '--out', yaml!])
    expect(b.code).toBe(0)
    const c = await runCli(['convert', '-f', yaml!, '--to', 'binpb', '--out', bin2!])
    expect(c.code).toBe(0)
    expect(readFileSync(bin2!).equals(readFileSync(bin1!))).toBe(true)
    expect(readFileSync(yaml!, 'utf8')).toMatch(/^kind: Namespace\nname: orders-pipeline\nteam: commerce-team\n/)
  })

  it('writes binary to a non-TTY stdout, and JSON with --json', async () => {
    const piped = spawnSync(process.execPath, [BIN, 'convert', '-f', join(EXAMPLES, 'kv-memstore.yaml'), '--to', 'binpb'], {cwd: ROOT, env: childEnv()})
    expect(piped.status).toBe(0)
    const viaFile = join(dir, 'kv.binpb')
    await runCli(['convert', '-f', join(EXAMPLES, 'kv-memstore.yaml'), '--to', 'binpb', '--out', viaFile])
    expect(Buffer.compare(piped.stdout, readFileSync(viaFile))).toBe(0)

    const r = await runCli(['convert', '-f', viaFile, '--kind', 'Namespace', '--to', 'json', '--json'])
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out).toMatchObject({from: 'binpb', to: 'json', documents: [{kind: 'Namespace', name: 'scratch-kv'}]})
    expect(out.output.patterns[0].requires[0]).toEqual({slot: 'kv-store', backendType: 'memstore'})
  })

  it('refuses to write binary to a terminal (exit 2, hint --out)', async () => {
    const r = await runCliOnTty(['convert', '-f', 'templates/examples/kv-memstore.yaml', '--to', 'binpb'])
    expect(r.code).toBe(2)
    expect(r.stdout).toContain('binary output is not written to a terminal')
    expect(r.stdout).toContain('Add --out FILE, or redirect stdout to a file.')
  })

  it('explains multi-document binpb, truncated binpb and a missing --kind', async () => {
    const multi = await runCli(['convert', '-f', join(EXAMPLES, 'team-alpha.yaml'), '--to', 'binpb', '--out', join(dir, 'x.binpb')])
    expect(multi.code).toBe(1)
    expect(multi.stderr).toBe(`Error: ${join(EXAMPLES, 'team-alpha.yaml')} holds 4 documents, but binary protobuf holds exactly one message
Hint: Split the file into one document per file and convert each, or convert to yaml or json.
`)
    const good = readFileSync(join(dir, 'one.binpb'))
    writeFileSync(join(dir, 'cut.binpb'), good.subarray(0, good.length - 5))
    const cut = await runCli(['convert', '-f', join(dir, 'cut.binpb'), '--kind', 'Namespace', '--to', 'yaml', '--json'])
    expect(cut.code).toBe(1)
    const envelope = JSON.parse(cut.stdout)
    expect(envelope.error.code).toBe('INVALID_ARGUMENT')
    expect(envelope.error.message).toMatch(/^the binary input is not a valid Namespace message: /)
    expect(envelope.error.hint).toContain('--kind')
    const noKind = await runCli(['convert', '-f', join(dir, 'cut.binpb'), '--to', 'yaml'])
    expect([noKind.code, noKind.stderr]).toEqual([2, 'Error: --kind is required to read binary protobuf\nHint: Add --kind Namespace or --kind Backend.\n'])
  })
})

describe('usage errors and colours', () => {
  it('a usage error says what is missing, exits 2, and keeps the --json envelope', async () => {
    const missingFlag = await runCli(['namespace', 'create'])
    expect([missingFlag.code, missingFlag.stderr]).toEqual([2, 'Error: Missing required flag -f/--file\nHint: See: prismctl namespace create --help\n'])
    const nothingToValidate = await runCli(['validate'])
    expect([nothingToValidate.code, nothingToValidate.stderr]).toEqual([
      2,
      'Error: Missing what to validate: give -f FILE, a directory, or - for stdin\nHint: See: prismctl validate --help\n',
    ])
    const missingArg = await runCli(['namespace', 'get', '--json'])
    expect(missingArg.code).toBe(2)
    expect(JSON.parse(missingArg.stdout)).toEqual({
      error: {code: 'USAGE', message: 'Missing 1 required arg:', hint: 'See: prismctl namespace get --help', details: [{message: expect.stringMatching(/^name\s+/)}]},
    })
  })

  it('colours errors on a terminal unless NO_COLOR or --no-color', async () => {
    const args = ['validate', '-f', 'no-such.yaml']
    const coloured = await runCliOnTty(args, {env: {NO_COLOR: undefined}})
    expect(coloured.stdout).toContain('\u001B[31mError:\u001B[39m cannot read no-such.yaml')
    for (const run of [runCliOnTty(args, {env: {NO_COLOR: '1'}}), runCliOnTty([...args, '--no-color'], {env: {NO_COLOR: undefined}})]) {
      const r = await run
      expect(r.code).toBe(1)
      expect(r.stdout).toContain('Error: cannot read no-such.yaml')
      expect(r.stdout).not.toContain('\u001B[')
    }
  })
})

describe('version and help', () => {
  it('--version and -v print the package version', async () => {
    const {version} = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {version: string}
    for (const flag of ['--version', '-v']) {
      const r = await runCli([flag])
      expect([r.code, r.stderr]).toEqual([0, ''])
      expect(r.stdout).toBe(`prismctl/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
    }
  })

  it('--help works on every command: usage, its own summary, the global flags, exit 0', async () => {
    // Summaries come from the shipped manifest, which is what --help renders from (the classes load lazily).
    const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, {summary?: string}>}
    const ids = Object.keys(COMMANDS)
    expect(Object.keys(manifest.commands).sort()).toEqual([...ids].sort())
    // Two at a time: the machine has two cores.
    for (let i = 0; i < ids.length; i += 2) {
      await Promise.all(
        ids.slice(i, i + 2).map(async (id) => {
          // oclif skips the word "help" when it renders --help, so `help --help` is the root help; `help help` is its own.
          const r = await runCli(id === 'help' ? ['help', 'help'] : [...id.split(':'), '--help'])
          expect([id, r.code, r.stderr]).toEqual([id, 0, ''])
          expect(r.stdout).toContain(`USAGE\n  $ prismctl ${id.replaceAll(':', ' ')}`)
          expect(manifest.commands[id]!.summary).toBeTruthy()
          expect(r.stdout).toContain(manifest.commands[id]!.summary)
          expect(r.stdout).toContain('--debug')
        }),
      )
    }
  })
})

describe('unknown commands', () => {
  it('are usage errors: exit 2, the two-line form, or the --json envelope on stdout', async () => {
    const [text, json] = await Promise.all([runCli(['nosuch']), runCli(['nosuch', '--json'])])
    expect([text.code, text.stdout, text.stderr]).toEqual([2, '', 'Error: command "nosuch" not found\nHint: See: prismctl --help\n'])
    expect([json.code, json.stderr]).toEqual([2, ''])
    expect(JSON.parse(json.stdout)).toEqual({error: {code: 'USAGE', message: 'command "nosuch" not found', hint: 'See: prismctl --help', details: []}})

    // Within a topic: the words as typed, and that topic's help; a flag first is not taken for a command.
    const [inTopic, flagFirst] = await Promise.all([runCli(['namespace', 'bogus', 'x.yaml']), runCli(['--context', 'prod', 'namespace', 'list'])])
    expect([inTopic.code, inTopic.stderr]).toEqual([2, 'Error: command "namespace bogus" not found\nHint: See: prismctl namespace --help\n'])
    expect([flagFirst.code, flagFirst.stderr]).toEqual([
      2,
      'Error: expected a command before the flag "--context"\nHint: Flags come after the command, e.g. prismctl namespace list --json. See: prismctl --help\n',
    ])
  })
})
