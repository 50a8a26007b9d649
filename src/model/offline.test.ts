import {chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {rejection} from '../../test/helpers/errors.js'
import {MAX_FILE_BYTES} from './documents.js'
import {checkFiles, convertFile, reportLines, writeOutput} from './offline.js'
import {readDocumentSources} from './sources.js'

const NS = 'kind: Namespace\nname: team-alpha\nteam: platform-team\n'
const BE = 'kind: Backend\nname: mem-dev\ntype: memstore\n'
let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'prism-offline-'))
  mkdirSync(join(dir, 'docs'))
  writeFileSync(join(dir, 'docs/b.yaml'), NS)
  writeFileSync(join(dir, 'docs/a.yml'), `${BE}---\n${BE.replace('mem-dev', 'mem-two')}`)
  writeFileSync(join(dir, 'docs/notes.txt'), 'not yaml')
  mkdirSync(join(dir, 'empty'))
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))

describe('readDocumentSources', () => {
  it('reads files, directories (*.yaml and *.yml, sorted) and stdin', async () => {
    const sources = await readDocumentSources([join(dir, 'docs'), '-'], {stdin: Readable.from([Buffer.from(NS)])})
    expect(sources.map((s) => s.file)).toEqual([join(dir, 'docs/a.yml'), join(dir, 'docs/b.yaml'), '<stdin>'])
    expect(Buffer.from(sources[2]!.bytes).toString()).toBe(NS)
  })

  it('reads *.json too, and subdirectories only with recursive (a directory holding only those says so)', async () => {
    mkdirSync(join(dir, 'tree/sub/deeper'), {recursive: true})
    writeFileSync(join(dir, 'tree/sub/b.json'), '{"kind": "Backend", "name": "mem-json", "type": "memstore"}')
    writeFileSync(join(dir, 'tree/sub/deeper/c.yaml'), NS)
    writeFileSync(join(dir, 'tree/a.yaml'), NS)
    writeFileSync(join(dir, 'tree/z.yaml'), NS)
    const flat = await readDocumentSources([join(dir, 'tree')])
    expect(flat.map((s) => s.file)).toEqual([join(dir, 'tree/a.yaml'), join(dir, 'tree/z.yaml')])
    const deep = await readDocumentSources([join(dir, 'tree')], {recursive: true})
    expect(deep.map((s) => s.file)).toEqual(['tree/a.yaml', 'tree/sub/b.json', 'tree/sub/deeper/c.yaml', 'tree/z.yaml'].map((f) => join(dir, f)))
    mkdirSync(join(dir, 'nested/only'), {recursive: true})
    writeFileSync(join(dir, 'nested/only/x.yaml'), NS)
    const onlySub = await rejection(readDocumentSources([join(dir, 'nested')]))
    expect(onlySub.message).toContain('has no .yaml, .yml or .json files')
    expect(onlySub.hint).toBe('Its subdirectories are read only with -R (--recursive).')
  })

  it('refuses missing paths and directories without YAML', async () => {
    const missing = await rejection(readDocumentSources([join(dir, 'nope.yaml')]))
    expect(missing.message).toBe(`cannot read ${join(dir, 'nope.yaml')}: no such file or directory`)
    expect(missing.hint).toBe('Check the path given with -f (use - for stdin).')
    expect((await rejection(readDocumentSources([join(dir, 'empty')]))).message).toBe(`${join(dir, 'empty')} has no .yaml, .yml or .json files`)
  })

  it('stops reading past the size limit, for files and for streams', async () => {
    const big = join(dir, 'big.yaml')
    writeFileSync(big, Buffer.alloc(MAX_FILE_BYTES + 1, 0x61))
    const err = await rejection(readDocumentSources([big]))
    expect(err.message).toBe(`${big} is larger than 4 MiB, the limit for one file`)
    expect(err.hint).toMatch(/^Split it into several files/)
    // An endless stream: reading must stop by itself shortly after the limit.
    let produced = 0
    const endless = new Readable({
      read() {
        produced += 65536
        this.push(Buffer.alloc(65536, 0x61))
      },
    })
    expect((await rejection(readDocumentSources(['-'], {stdin: endless}))).message).toBe('<stdin> is larger than 4 MiB, the limit for one file')
    expect(produced).toBeLessThan(MAX_FILE_BYTES * 2)
    // A small limit on a file without a known size (a pipe) is enforced while reading.
    expect((await rejection(readDocumentSources([big], {limit: 1000}))).message).toContain('larger than')
  })
})

describe('checkFiles', () => {
  it('reports each file and every document', async () => {
    const report = await checkFiles([join(dir, 'docs')])
    expect(reportLines(report)).toEqual([`✓ ${join(dir, 'docs/a.yml')}: 2 documents valid`, `✓ ${join(dir, 'docs/b.yaml')}: 1 document valid`])
    expect(report.documents).toEqual([
      {file: join(dir, 'docs/a.yml'), index: 0, kind: 'Backend', name: 'mem-dev'},
      {file: join(dir, 'docs/a.yml'), index: 1, kind: 'Backend', name: 'mem-two'},
      {file: join(dir, 'docs/b.yaml'), index: 0, kind: 'Namespace', name: 'team-alpha'},
    ])
  })

  it('with a kind, treats documents of the other kind as problems', async () => {
    const err = await rejection(checkFiles([join(dir, 'docs')], {kind: 'Namespace'}))
    expect(err.message).toBe(`${join(dir, 'docs/a.yml')}: 2 problems`)
    expect(err.details).toEqual([
      `${join(dir, 'docs/a.yml')}:1:7: kind: expected a Namespace document, found Backend; check it with "prismctl backend validate", or mixed files with "prismctl validate"`,
      `${join(dir, 'docs/a.yml')}:5:7: kind: expected a Namespace document, found Backend; check it with "prismctl backend validate", or mixed files with "prismctl validate"`,
    ])
    expect(err.code).toBe('INVALID_ARGUMENT')
  })

  it('collects problems of all files, sorted by file and line', async () => {
    const bad = join(dir, 'bad.yaml')
    writeFileSync(bad, 'kind: Namespace\nname: Bad_Name\nteam: x1\n---\nkind: Backend\nname: abc\ntype: redsi\n')
    const err = await rejection(checkFiles(['-', bad], {stdin: Readable.from(['kind: Nope\n'])}))
    expect(err.message).toBe('4 problems in 2 files')
    expect(err.details).toEqual([
      '<stdin>:1:7: kind: unknown kind "Nope"; expected Namespace or Backend',
      `${bad}:2:7: name: namespace name "Bad_Name" is invalid: use 3 to 63 lowercase letters, digits or '-', starting with a letter`,
      `${bad}:3:7: team: team name "x1" is invalid: use 3 to 63 lowercase letters, digits or '-', starting with a letter`,
      `${bad}:7:7: type: unknown BackendType "redsi"; expected one of redis, nats, kafka, postgres, sqlite, s3, memstore; did you mean "redis"?`,
    ])
    expect(err.violations[1]).toEqual({field: 'name', description: err.details[1]})
  })

  it('lists at most 100 problems and says how many more there are', async () => {
    const many = join(dir, 'many.yaml')
    writeFileSync(many, `${NS}${Array.from({length: 150}, (_, i) => `unknown${i}: 1`).join('\n')}\n`)
    const err = await rejection(checkFiles([many]))
    expect(err.message).toBe(`${many}: 150 problems`)
    expect(err.details).toHaveLength(101)
    expect(err.details[100]).toBe('… and 50 more')
  })
})

describe('convertFile', () => {
  it('converts YAML to binary and back, and to JSON', async () => {
    const yamlFile = join(dir, 'docs/b.yaml')
    const bin = await convertFile({file: yamlFile, to: 'binpb'})
    expect(bin.documents).toEqual([{kind: 'Namespace', name: 'team-alpha'}])
    const binFile = join(dir, 'ns.binpb')
    writeOutput(binFile, bin.data, bin.holdsSecrets)
    expect((await convertFile({file: binFile, to: 'yaml', kind: 'Namespace'})).data).toBe(NS)
    expect(JSON.parse((await convertFile({file: binFile, to: 'json', kind: 'Namespace'})).data as string)).toEqual({kind: 'Namespace', name: 'team-alpha', team: 'platform-team'})
    const several = JSON.parse((await convertFile({file: join(dir, 'docs/a.yml'), to: 'json'})).data as string)
    expect(several.map((d: {name: string}) => d.name)).toEqual(['mem-dev', 'mem-two'])
    expect((await convertFile({file: join(dir, 'docs/a.yml'), to: 'yaml'})).data).toBe(`${BE}---\n${BE.replace('mem-dev', 'mem-two')}`)
  })

  it('refuses several documents to binary, binary without a kind, and bad input', async () => {
    const multi = await rejection(convertFile({file: join(dir, 'docs/a.yml'), to: 'binpb'}))
    expect(multi.message).toBe(`${join(dir, 'docs/a.yml')} holds 2 documents, but binary protobuf holds exactly one message`)
    expect(multi.hint).toMatch(/^Split the file/)
    const noKind = await rejection(convertFile({file: join(dir, 'ns.binpb'), to: 'yaml'}))
    expect([noKind.message, noKind.exitCode]).toEqual(['--kind is required to read binary protobuf', 2])
    const garbage = join(dir, 'garbage.binpb')
    writeFileSync(garbage, Buffer.from([0x0a, 0xff, 0x01, 0x02]))
    expect((await rejection(convertFile({file: garbage, to: 'yaml', kind: 'Backend'}))).message).toMatch(/^the binary input is not a valid Backend message: /)
    const bad = await rejection(convertFile({file: '-', to: 'json', stdin: Readable.from(['kind: Backend\nname: 5\n'])}))
    expect(bad.details).toEqual(['<stdin>:2:7: name: expected a string, got number 5; quote it: "5"'])
  })

  it('writes outputs atomically and explains failures', () => {
    const target = join(dir, 'out.yaml')
    writeOutput(target, 'x: 1\n', false)
    expect(readFileSync(target, 'utf8')).toBe('x: 1\n')
    expect(() => writeOutput(join(dir, 'missing-dir/out.yaml'), 'x', false)).toThrow(`cannot write ${join(dir, 'missing-dir/out.yaml')}: its directory does not exist`)
  })

  it('creates an output holding static credentials private, and keeps the mode of a file it replaces', async () => {
    const source = join(dir, 'secret.yaml')
    writeFileSync(source, 'kind: Backend\nname: pg-a\ntype: postgres\npostgres: {host: db}\ncredentials: {static: {username: u, password: pw}}\n', {mode: 0o600})
    const withSecret = await convertFile({file: source, to: 'json'})
    expect(withSecret.holdsSecrets).toBe(true)
    expect((await convertFile({file: join(dir, 'docs/a.yml'), to: 'json'})).holdsSecrets).toBe(false)
    const fresh = join(dir, 'secret.json')
    writeOutput(fresh, withSecret.data, true)
    expect(statSync(fresh).mode & 0o777).toBe(0o600)
    // Converting a private file onto itself (or over any file) keeps that file's mode, whatever the umask.
    writeOutput(source, withSecret.data, true)
    expect(statSync(source).mode & 0o777).toBe(0o600)
    const shared = join(dir, 'shared.json')
    writeFileSync(shared, '{}')
    chmodSync(shared, 0o664)
    writeOutput(shared, withSecret.data, true)
    expect(statSync(shared).mode & 0o777).toBe(0o664)
  })
})
