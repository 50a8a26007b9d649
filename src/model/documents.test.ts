import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {create, equals, ScalarType} from '@bufbuild/protobuf'
import type {DescField, DescMessage} from '@bufbuild/protobuf'
import {TimestampSchema} from '@bufbuild/protobuf/wkt'
import {describe, expect, it} from 'vitest'

import {thrown} from '../../test/helpers/errors.js'
import {BackendSchema, NamespaceSchema} from '../gen/prism/admin/v1/resources_pb.js'
import type {Backend, Namespace} from '../gen/prism/admin/v1/resources_pb.js'
import {decodeBinary, encodeBinary, formatProblem, MAX_FILE_BYTES, parseDocuments, toJsonObject, toYaml} from './documents.js'
import type {Kind, Resource} from './documents.js'

const EXAMPLES = join(import.meta.dirname, '../../templates/examples')

function problems(yaml: string | Uint8Array): string[] {
  return parseDocuments(yaml, 'ns.yaml').problems.map(formatProblem)
}

function one(yaml: string): Resource {
  const r = parseDocuments(yaml, 'ns.yaml')
  expect(r.problems).toEqual([])
  expect(r.docs).toHaveLength(1)
  return r.docs[0]!.message
}

describe('parseDocuments: accepted forms', () => {
  it('reads snake_case names and full enum names as the canonical forms', () => {
    const canonical = one(`kind: Namespace
name: team-alpha
patterns:
  - name: cache
    type: keyvalue
    sessionAware: true
    requires: [{slot: kv-store, backendType: redis}]
auth: {enabled: true, allowedGroups: [a]}
`)
    const alternative = one(`kind: Namespace
name: team-alpha
patterns:
  - name: cache
    type: keyvalue
    session_aware: true
    requires: [{slot: kv-store, backend_type: BACKEND_TYPE_REDIS}]
auth: {enabled: true, allowed_groups: [a]}
`)
    expect(equals(NamespaceSchema, canonical as Namespace, alternative as Namespace)).toBe(true)
    expect((canonical as Namespace).patterns[0]!.requires[0]!.target).toEqual({case: 'backendType', value: 1})
  })

  it('reads several documents, skipping empty ones, and numbers them', () => {
    const r = parseDocuments('---\nkind: Backend\nname: a-one\n---\n# nothing\n---\nkind: Namespace\nname: b-two\n---\n', 'x.yaml')
    expect(r.problems).toEqual([])
    expect(r.docs.map((d) => [d.kind, d.index, d.message.name])).toEqual([
      ['Backend', 0, 'a-one'],
      ['Namespace', 1, 'b-two'],
    ])
  })

  it('accepts ordinary anchors and aliases, null as unset, and int64 as string or number', () => {
    const ns = one(`kind: Namespace
name: team-alpha
description: ~
patterns:
  - name: one
    type: keyvalue
    requires: &binding [{slot: kv-store, backend: redis-dev}]
  - name: two
    type: keyvalue
    requires: *binding
status: {meta: {version: "9007199254740993", createdAt: "2026-01-31T12:00:00.5Z"}, partition: 7}
`) as Namespace
    expect(ns.patterns[1]!.requires[0]!.slot).toBe('kv-store')
    expect(ns.status!.meta!.version).toBe(9007199254740993n)
    expect(ns.status!.meta!.createdAt!.nanos).toBe(500_000_000)
    expect((one('kind: Namespace\nname: abc\nstatus: {meta: {version: 12}}') as Namespace).status!.meta!.version).toBe(12n)
  })

  it('strips a UTF-8 byte order mark', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('kind: Backend\nname: abc\n')])
    expect(parseDocuments(bytes, 'b.yaml').docs[0]!.message.name).toBe('abc')
  })
})

describe('parseDocuments: every problem, with line, column, path and what was expected', () => {
  it('never shows a secret value of the wrong type, whatever the type, and says what kind it is', () => {
    const found = problems(`kind: Backend
name: redis-a
type: redis
redis: {address: "redis:6379"}
credentials:
  static:
    username: 12345
    password: 98765432101234
---
kind: Backend
name: redis-b
type: redis
redis: {address: "redis:6379"}
credentials: {static: {password: {nested: s3cr3t-obj}, token: true}}
---
kind: Backend
name: redis-c
type: redis
redis: {address: "redis:6379"}
credentials: {static: {token: [t0k3n-list]}}
`)
    expect(found).toEqual([
      // The username is not a secret: its value helps.
      'ns.yaml:7:15: credentials.static.username: expected a string, got number 12345; quote it: "12345"',
      'ns.yaml:8:15: credentials.static.password: expected a string, got a number; quote it (the value is not shown: it is a secret)',
      'ns.yaml:14:34: credentials.static.password: expected a string, got a mapping (the value is not shown: it is a secret)',
      'ns.yaml:14:63: credentials.static.token: expected a string, got true or false; quote it (the value is not shown: it is a secret)',
      'ns.yaml:20:31: credentials.static.token: expected a string, got a list (the value is not shown: it is a secret)',
    ])
    for (const secret of ['98765432101234', 's3cr3t-obj', 't0k3n-list']) expect(found.join('\n')).not.toContain(secret)
  })

  it('never shows a secret that a mistake put in a key or in the wrong shape of value', () => {
    const header = 'kind: Backend\ntype: redis\nredis: {address: "redis:6379"}\n'
    const found = problems(
      [
        `${header}name: missing-colon\ncredentials: {static: {username: u, password SEKRIT-1}}\n`,
        `${header}name: bare-value\ncredentials: {static: {username: u, SEKRIT-2}}\n`,
        `${header}name: static-string\ncredentials: {static: "user:SEKRIT-3"}\n`,
        `${header}name: credentials-string\ncredentials: "SEKRIT-4"\n`,
        `${header}name: typo\ncredentials: {static: {username: u, pasword: SEKRIT-5}}\n`,
      ].join('---\n'),
    )
    expect(found).toEqual([
      'ns.yaml:5:37: credentials.static: unknown field in StaticCredentials (its name is not shown: it may hold a secret); the fields are username, password, token',
      'ns.yaml:11:37: credentials.static: unknown field in StaticCredentials (its name is not shown: it may hold a secret); the fields are username, password, token',
      'ns.yaml:17:23: credentials.static: expected a mapping (StaticCredentials), got a string (not shown: it may be a secret)',
      'ns.yaml:23:14: credentials: expected a mapping (Credentials), got a string (not shown: it may be a secret)',
      'ns.yaml:29:37: credentials.static: unknown field in StaticCredentials (its name is not shown: it may hold a secret); the fields are username, password, token; did you mean "password"?',
    ])
    for (let i = 1; i <= 5; i++) expect(found.join('\n')).not.toContain(`SEKRIT-${i}`)
  })

  it('an alias with no anchor is a problem where it stands, not a field left unset', () => {
    // Read as nothing, it would make apply drop the stored password.
    expect(problems('kind: Backend\nname: b\ntype: redis\nredis: {address: "redis:6379"}\ncredentials: {static: {username: u, password: *pw}}\n')).toEqual([
      'ns.yaml:5:47: credentials.static.password: alias *pw has no anchor &pw before it in this document',
    ])
    // The rule a missing name would break is not reported on top of it; an alias key is reported once (the walk
    // meets it twice: looking for kind, then reading fields). The CLI sorts problems by position.
    expect(problems('kind: Namespace\nname: *x\nteam: t\n*k : v\n')).toEqual([
      'ns.yaml:4:1: alias *k has no anchor &k before it in this document',
      'ns.yaml:2:7: name: alias *x has no anchor &x before it in this document',
    ])
    // An anchor defined before it still works.
    expect(problems('kind: Namespace\nname: &n team-a\nteam: *n\n')).toEqual([])
  })

  it('collects type problems across the whole file at once', () => {
    expect(
      problems(`kind: Namespace
name: team-alpha
lables: {env: dev}
patterns:
  - name: cache
    type: keyvalue
    sessionAware: "yes"
    version: 1.0
    requires: [{slot: kv-store, backendType: redsi}]
    settings: {ttl: 30}
  - name: 12
auth: {enabled: 1, allowedGroups: admins}
---
kind: Backend
name: redis-dev
type: redis
redis: {address: "redis:6379", database: -1, tls: null}
interfaces: [keyvalue_basic, ~]
---
kind: Backend
name: big-one
type: memstore
memstore: {maxKeys: 1099511627776}
labels: [a]
`),
    ).toEqual([
      'ns.yaml:3:1: lables: unknown field "lables" in Namespace; did you mean "labels"?',
      'ns.yaml:7:19: patterns[0].sessionAware: expected true or false, got string "yes"',
      'ns.yaml:8:14: patterns[0].version: expected a string, got number 1.0; quote it: "1.0"',
      'ns.yaml:9:46: patterns[0].requires[0].backendType: unknown BackendType "redsi"; expected one of redis, nats, kafka, postgres, sqlite, s3, memstore; did you mean "redis"?',
      'ns.yaml:10:21: patterns[0].settings.ttl: expected a string, got number 30; quote it: "30"',
      'ns.yaml:11:11: patterns[1].name: expected a string, got number 12; quote it: "12"',
      'ns.yaml:12:17: auth.enabled: expected true or false, got number 1',
      'ns.yaml:12:35: auth.allowedGroups: expected a list, got string "admins"',
      'ns.yaml:17:42: redis.database: expected an integer from 0 to 4294967295, got number -1',
      'ns.yaml:18:30: interfaces[1]: list items cannot be null',
      'ns.yaml:23:21: memstore.maxKeys: expected an integer from 0 to 4294967295, got number 1099511627776',
      'ns.yaml:24:9: labels: expected a mapping, got a list',
    ])
  })

  it('reports duplicate keys, also when spelled in both styles, and conflicting oneof members', () => {
    expect(
      problems(`kind: Namespace
name: team-alpha
name: team-beta
patterns:
  - name: cache
    session_aware: true
    sessionAware: true
    requires: [{slot: kv-store, backend: redis-dev, backendType: redis}]
labels: {env: dev, env: prod}
`),
    ).toEqual([
      'ns.yaml:3:1: name: duplicate field "name" (already set on line 2)',
      'ns.yaml:7:5: patterns[0].sessionAware: duplicate field "sessionAware" (already set on line 6)',
      'ns.yaml:8:53: patterns[0].requires[0].backendType: "backend" and "backendType" cannot both be set: choose one of backend, backendType',
      'ns.yaml:9:20: labels.env: duplicate key "env"',
    ])
    expect(problems('kind: Backend\nname: abc\ntype: redis\nredis: {address: x}\nnats: {url: y}\n')).toEqual([
      'ns.yaml:5:1: nats: "redis" and "nats" cannot both be set: choose one of redis, nats, kafka, postgres, sqlite, s3, memstore',
    ])
  })

  it('reads a kind: List (YAML or JSON) as its items, each located in the file; a bad List says what is wrong', () => {
    const list = `kind: List\nitems:\n  - kind: Backend\n    name: mem-dev\n    type: memstore\n  - kind: Namespace\n    name: team-alpha\n    team: alpha\n`
    const {docs, problems: none} = parseDocuments(list, 'list.yaml')
    expect(none).toEqual([])
    expect(docs.map((d) => [d.kind, d.message.name, d.index, d.item])).toEqual([['Backend', 'mem-dev', 0, 0], ['Namespace', 'team-alpha', 0, 1]])
    expect(docs[1]!.locate('team')).toEqual({line: 8, column: 11})
    const json = parseDocuments(JSON.stringify({kind: 'List', items: [{kind: 'Backend', name: 'mem-dev', type: 'memstore'}]}, null, 2), 'list.json')
    expect(json.docs.map((d) => d.message.name)).toEqual(['mem-dev'])
    expect(problems('kind: List\nitems:\n  - kind: Namespace\n    name: abc\n    tem: x\n  - kind: List\n    items: []\n  - 5\nmetadata: {}\n')).toEqual([
      'ns.yaml:9:1: metadata: unknown field "metadata" in List; a List has only kind and items',
      'ns.yaml:5:5: items[0].tem: unknown field "tem" in Namespace; did you mean "team"?',
      'ns.yaml:6:11: items[1].kind: a List cannot hold another List; put its items in this one',
      'ns.yaml:8:5: items[2]: expected a mapping with "kind: Namespace" or "kind: Backend", got number 5',
    ])
    expect(problems('kind: List\n')).toEqual(['ns.yaml:1:1: items: missing "items"; a List holds its resources in items: [...]'])
  })

  it('requires a known kind', () => {
    expect(problems('name: abc\n')).toEqual(['ns.yaml:1:1: missing "kind"; add "kind: Namespace" or "kind: Backend"'])
    expect(problems('kind: Namespce\nname: abc\n')).toEqual(['ns.yaml:1:7: kind: unknown kind "Namespce"; expected Namespace or Backend; did you mean "Namespace"?'])
    expect(problems('kind: [Namespace]\n')).toEqual(['ns.yaml:1:7: kind: unknown kind a list; expected Namespace or Backend'])
    expect(problems('kind: Namespace\nkind: Backend\n')).toEqual(['ns.yaml:2:1: kind: duplicate field "kind"'])
    expect(problems('- kind: Namespace\n')).toEqual(['ns.yaml:1:1: expected a mapping with "kind: Namespace" or "kind: Backend", got a list'])
  })

  it('checks int64, timestamps and out-of-range numbers in status', () => {
    expect(problems('kind: Namespace\nname: abc\nstatus: {meta: {version: "12x", createdAt: "yesterday"}, partition: 4294967296, phase: done}\n')).toEqual([
      'ns.yaml:3:26: status.meta.version: expected an integer from -9223372036854775808 to 9223372036854775807, got string "12x"',
      'ns.yaml:3:44: status.meta.createdAt: expected an RFC 3339 timestamp such as "2026-01-31T12:00:00Z", got "yesterday"',
      'ns.yaml:3:69: status.partition: expected an integer from 0 to 4294967295, got number 4294967296',
      'ns.yaml:3:88: status.phase: unknown NamespacePhase "done"; expected one of pending, active',
    ])
  })

  it('reports YAML syntax errors with their position', () => {
    expect(problems('kind: Namespace\nname: "abc\n')).toEqual(['ns.yaml:3:1: invalid YAML: Missing closing "quote'])
    expect(problems('kind: Namespace\nname: x\n  bad: indent\n')).toHaveLength(1)
  })
})

describe('parseDocuments: bad input is refused quickly with one clear problem', () => {
  it('empty files and comment-only files', () => {
    const msg = 'ns.yaml: contains no documents; expected YAML with kind: Namespace or kind: Backend'
    expect(problems('')).toEqual([msg])
    expect(problems('# just a comment\n---\n')).toEqual([msg])
  })

  it('binary garbage and invalid UTF-8', () => {
    expect(problems(new Uint8Array([0x0a, 0x09, 0x00, 0xff, 0x12]))).toEqual([
      'ns.yaml: is a binary file, not YAML; binary protobuf converts with: prismctl convert --from binpb --kind KIND -f FILE',
    ])
    expect(problems(new Uint8Array([0x6b, 0x69, 0x6e, 0x64, 0x3a, 0x20, 0xc3, 0x28]))).toEqual(['ns.yaml: is not valid UTF-8 text; save it as UTF-8'])
  })

  it('files over the size limit', () => {
    expect(problems(`kind: Namespace\ndescription: ${'x'.repeat(MAX_FILE_BYTES)}\n`)).toEqual(['ns.yaml: is larger than 4 MiB, the limit for one file'])
  })

  it('alias bombs (billion laughs) through the schema', () => {
    const lines = ['kind: Namespace', 'name: bomb', 'patterns:', '  - &p {name: cache, type: keyvalue, requires: [&r {slot: kv-store, backend: redis-dev}' + ', *r'.repeat(50) + ']}']
    for (let i = 0; i < 100; i++) lines.push('  - *p')
    expect(problems(lines.join('\n'))).toEqual(['ns.yaml:1:1: uses more than 100 alias references; expand the aliases (anchors like &x and *x)'])
  })

  it('alias bombs outside the schema are not expanded at all', () => {
    const lines = ['kind: Namespace', 'name: bomb', 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for (let i = 0; i < 9; i++) lines.push(`${'bcdefghij'[i]}: &${'bcdefghij'[i]} [${Array(9).fill(`*${'abcdefghij'[i]}`).join(',')}]`)
    expect(problems(lines.join('\n'))).toHaveLength(10)
  })

  it('deep nesting, flow or block', () => {
    expect(problems(`kind: Namespace\nname: ${'['.repeat(100_000)}`)).toEqual(['ns.yaml:2:71: is nested more than 64 levels deep'])
    expect(problems(`kind: Namespace\nname: ${'{a: '.repeat(100_000)}`)).toEqual(['ns.yaml:2:263: is nested more than 64 levels deep'])
    expect(problems(`${'- '.repeat(100_000)}x`)).toEqual(['ns.yaml:1:129: is nested more than 64 levels deep'])
    // Block mappings nested by indentation as deep as a 4 MiB file allows: a problem, not a crash.
    const indented = Array.from({length: 2800}, (_, i) => `${' '.repeat(i)}a:`).join('\n')
    expect(problems(`kind: Namespace\nname: abc\nteam: t\nlabels:\n${indented.replace(/^/gm, '  ')}\n`)).toEqual([expect.stringMatching(/^ns\.yaml:\d+:\d+: invalid YAML: nested too deeply$/)])
    // Brackets inside quoted strings and comments do not count; an apostrophe in plain text does not open a quote.
    expect(problems(`kind: Namespace\nname: abc\ndescription: "${'['.repeat(100)}" # ${'{'.repeat(100)}\nteam: Alpha's ${'['.repeat(10)}\n`)).toEqual([])
  })
})

describe('SourceDoc.locate', () => {
  const yaml = `kind: Namespace
name: team-alpha
patterns:
  - name: cache
    session_aware: true
    requires:
      - slot: kv-store
        backend: redis-dev
labels: {"a.b": x}
`
  const doc = parseDocuments(yaml, 'ns.yaml').docs[0]!
  it('finds scalars at their value and collections at their key, in either naming style', () => {
    expect(doc.locate('name')).toEqual({line: 2, column: 7})
    expect(doc.locate('patterns')).toEqual({line: 3, column: 1})
    expect(doc.locate('patterns[0].sessionAware')).toEqual({line: 5, column: 20})
    expect(doc.locate('patterns[0].requires[0].backend')).toEqual({line: 8, column: 18})
    expect(doc.locate('labels["a.b"]')).toEqual({line: 9, column: 17})
  })
  it('falls back to the nearest ancestor that exists', () => {
    expect(doc.locate('patterns[0].requires[0].credentials.vaultPath')).toEqual({line: 7, column: 9})
    expect(doc.locate('patterns[3].name')).toEqual({line: 3, column: 1})
    expect(doc.locate('auth.provider')).toEqual({line: 1, column: 1})
  })
})

describe('export', () => {
  const ns = one(`kind: Namespace
patterns: [{type: keyvalue, name: cache, requires: [{backend_type: BACKEND_TYPE_MEMSTORE, slot: kv-store}]}]
team: platform-team
name: team-alpha
status: {partition: 3, phase: NAMESPACE_PHASE_ACTIVE}
`) as Namespace

  it('writes kind, name, then fields in declaration order, short enums, no status unless asked', () => {
    expect(toYaml('Namespace', ns)).toBe(`kind: Namespace
name: team-alpha
team: platform-team
patterns:
  - name: cache
    type: keyvalue
    requires:
      - slot: kv-store
        backendType: memstore
`)
    expect(toYaml('Namespace', ns, {includeStatus: true})).toContain('status:\n  partition: 3\n  phase: active\n')
    expect(Object.keys(toJsonObject('Namespace', ns))).toEqual(['kind', 'name', 'team', 'patterns', 'status'])
  })

  it('quotes strings that would read back as another type', () => {
    const b = create(BackendSchema, {name: 'abc', labels: {tier: '1', flag: 'true', version: '1.0', empty: ''}})
    const back = one(toYaml('Backend', b)) as Backend
    expect(back.labels).toEqual({tier: '1', flag: 'true', version: '1.0', empty: ''})
  })
})

/** A message with every field set to a non-default value; `variant` picks which oneof member is set. */
function fillAll(desc: DescMessage, variant: number, depth = 0): Record<string, unknown> {
  const init: Record<string, unknown> = {}
  const value = (f: DescField, kind: string | undefined, i: number): unknown => {
    if (kind === 'enum') return f.enum!.values[f.enum!.values.length - 1 - (i % 2)]!.number
    if (kind === 'message') return f.message!.typeName === TimestampSchema.typeName ? {seconds: 1_790_000_000n + BigInt(i), nanos: 123_000_000} : fillAll(f.message!, variant + i, depth + 1)
    switch (f.scalar) {
      case ScalarType.STRING:
        return `${f.name}-${i} with: "quotes", #hash and ünïcode`
      case ScalarType.BOOL:
        return true
      case ScalarType.INT64:
        return 9_007_199_254_740_993n + BigInt(i)
      default:
        return 4_000_000_000 + i
    }
  }
  for (const f of desc.fields) {
    if (f.oneof && f.oneof.fields[variant % f.oneof.fields.length] !== f) continue
    let v: unknown
    if (f.fieldKind === 'list') v = [0, 1].map((i) => value(f, f.listKind, i))
    else if (f.fieldKind === 'map') v = {'first-key': value(f, f.mapKind, 0), 'second.key': value(f, f.mapKind, 1)}
    else v = value(f, f.fieldKind, 0)
    if (f.oneof) init[f.oneof.localName] = {case: f.localName, value: v}
    else init[f.localName] = v
  }
  return init
}

function assertRoundTrip(kind: Kind, message: Resource): void {
  const schema = kind === 'Namespace' ? NamespaceSchema : BackendSchema
  const bin1 = encodeBinary(kind, message)
  const yaml = toYaml(kind, decodeBinary(kind, bin1), {includeStatus: true})
  const back = parseDocuments(yaml, 'rt.yaml')
  expect(back.problems).toEqual([])
  expect(equals(schema, back.docs[0]!.message as never, message as never)).toBe(true)
  expect(Buffer.from(encodeBinary(kind, back.docs[0]!.message)).equals(Buffer.from(bin1))).toBe(true)
  // JSON output reads back the same way (JSON is YAML).
  const fromJsonText = parseDocuments(JSON.stringify(toJsonObject(kind, message)), 'rt.json').docs[0]!.message
  expect(equals(schema, fromJsonText as never, message as never)).toBe(true)
}

describe('round trip YAML → binary → YAML → binary is lossless', () => {
  it('for every example', () => {
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'))
    expect(files.length).toBeGreaterThanOrEqual(4)
    for (const file of files) {
      const {docs, problems: p} = parseDocuments(readFileSync(join(EXAMPLES, file)), file)
      expect(p).toEqual([])
      for (const d of docs) assertRoundTrip(d.kind, d.message)
    }
  })

  it('for documents with every field set, each oneof member in turn', () => {
    for (let variant = 0; variant < 7; variant++) {
      const ns = create(NamespaceSchema, fillAll(NamespaceSchema, variant) as never)
      const b = create(BackendSchema, fillAll(BackendSchema, variant) as never)
      expect(ns.status!.meta!.createdAt).toBeDefined()
      expect(b.config.case).toBe(BackendSchema.oneofs[0]!.fields[variant]!.localName)
      assertRoundTrip('Namespace', ns)
      assertRoundTrip('Backend', b)
    }
  })

  it('keeps a oneof member that is set to its default value', () => {
    assertRoundTrip('Backend', create(BackendSchema, {name: 'abc', config: {case: 'memstore', value: {}}, credentials: {source: {case: 'vaultPath', value: ''}}}))
    expect(toYaml('Backend', create(BackendSchema, {name: 'abc', config: {case: 'memstore', value: {}}}))).toContain('memstore: {}')
  })
})

describe('decodeBinary', () => {
  const bytes = encodeBinary('Namespace', one('kind: Namespace\nname: team-alpha\ndescription: hello there\n'))

  it('turns truncated or corrupt input into a PrismError with a hint', () => {
    const truncated = thrown(() => decodeBinary('Namespace', bytes.subarray(0, bytes.length - 3)))
    expect(truncated.message).toMatch(/^the binary input is not a valid Namespace message: /)
    expect(truncated.hint).toContain('--kind')
    expect(thrown(() => decodeBinary('Namespace', new Uint8Array([0xff, 0xff, 0xff]))).message).toMatch(/not a valid Namespace message/)
    expect(thrown(() => decodeBinary('Backend', new Uint8Array())).message).toBe('the binary input is empty; expected a Backend message')
    // Strings must be UTF-8; replacing bad bytes silently would make the conversion lossy.
    expect(thrown(() => decodeBinary('Backend', new Uint8Array([0x0a, 0x02, 0xc3, 0x28]))).message).toMatch(/^the binary input is not a valid Backend message: /)
  })

  it('refuses fields the message does not have instead of dropping them', () => {
    const extra = new Uint8Array([...bytes, 0x70, 0x01])
    expect(thrown(() => decodeBinary('Namespace', extra)).message).toBe('the binary input has fields a Namespace does not have (#14); converting it would lose them')
  })
})
