import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {create} from '@bufbuild/protobuf'
import {describe, expect, it} from 'vitest'

import {BackendSchema, BackendType, NamespaceSchema} from '../gen/prism/admin/v1/resources_pb.js'
import type {Backend, Namespace} from '../gen/prism/admin/v1/resources_pb.js'
import {formatProblem, parseDocuments} from './documents.js'
import {validateBackend, validateDocuments, validateNamespace} from './validate.js'

function load<T>(yaml: string): T {
  const {docs, problems} = parseDocuments(yaml, 't.yaml')
  expect(problems).toEqual([])
  return docs[0]!.message as T
}

const BASE = `kind: Namespace
name: team-alpha
team: platform-team
`
const ns = (patterns: string, extra = '') => load<Namespace>(`${BASE}${extra}patterns:\n${patterns}`)
const SM = `  - name: sessions
    type: session-manager
    requires: [{slot: session-store, backend: redis-dev}]
`
const be = (yaml: string) => load<Backend>(`kind: Backend\nname: redis-dev\n${yaml}`)

describe('validateNamespace', () => {
  it('accepts the issue example', () => {
    const namespace = ns(`${SM}  - name: cache
    type: keyvalue
    sessionAware: true
    requires: [{slot: kv-store, backendType: redis}]
`)
    expect(validateNamespace(namespace)).toEqual([])
  })

  it('rule 1: namespace, team and backend names', () => {
    const namespace = create(NamespaceSchema, {name: 'Team_Alpha', team: ''})
    expect(validateNamespace(namespace)).toEqual([
      {path: 'name', message: `namespace name "Team_Alpha" is invalid: use 3 to 63 lowercase letters, digits or '-', starting with a letter`},
      {path: 'team', message: 'team name is required'},
    ])
    expect(validateNamespace(create(NamespaceSchema, {name: 'ab', team: `t${'x'.repeat(63)}`})).map((v) => v.path)).toEqual(['name', 'team'])
    expect(validateNamespace(create(NamespaceSchema, {name: 'abc', team: `t${'x'.repeat(62)}`}))).toEqual([])
    const namespace2 = ns(`${SM}  - name: cache
    type: keyvalue
    requires: [{slot: kv-store, backend: Redis}]
`)
    expect(validateNamespace(namespace2)).toEqual([
      {path: 'patterns[1].requires[0].backend', message: `backend name "Redis" is invalid: use 3 to 63 lowercase letters, digits or '-', starting with a letter; did you mean "backendType: redis"? backend: names a registered backend, backendType: lets the control plane pick one of that type`},
    ])
  })

  it('rule 2: at most one session-manager', () => {
    expect(validateNamespace(ns(SM + SM.replace('sessions', 'sessions-two')))).toEqual([
      {path: 'patterns[1].type', message: 'at most one session-manager per namespace (the first is patterns[0])'},
    ])
  })

  it('rule 2: the session-manager comes first', () => {
    const namespace = ns(`  - name: cache
    type: keyvalue
    requires: [{slot: kv-store, backendType: redis}]
${SM}`)
    expect(validateNamespace(namespace)).toEqual([{path: 'patterns[1].type', message: 'the session-manager must be the first pattern'}])
  })

  it('rule 2: the session-manager binds session-store', () => {
    const namespace = ns(`  - name: sessions
    type: session-manager
    requires: [{slot: state-store, backend: redis-dev}]
`)
    expect(validateNamespace(namespace)).toEqual([
      {path: 'patterns[0].requires', message: 'the session-manager must bind a session-store slot in requires'},
      {path: 'patterns[0].requires[0].slot', message: 'unknown slot state-store for pattern type session-manager 0.1.0 requires (known: session-store)'},
    ])
  })

  it('rule 3: a session-aware pattern needs a session-manager', () => {
    const namespace = ns(`  - name: cache
    type: keyvalue
    sessionAware: true
    requires: [{slot: kv-store, backendType: redis}]
`)
    expect(validateNamespace(namespace)).toEqual([
      {path: 'patterns[0].sessionAware', message: 'session-aware pattern "cache" needs a session-manager in the namespace; add one as the first pattern'},
    ])
  })

  it('a session-manager itself cannot be session-aware', () => {
    expect(validateNamespace(ns(SM.replace('    requires', '    sessionAware: true\n    requires')))).toEqual([
      {path: 'patterns[0].sessionAware', message: 'pattern type session-manager cannot be session-aware'},
    ])
  })

  it('rule 4: no static credentials in a session-aware pattern; vault references are fine', () => {
    const namespace = ns(`${SM}  - name: cache
    type: keyvalue
    sessionAware: true
    requires:
      - {slot: kv-store, backend: redis-dev, credentials: {static: {username: app, password: hunter2}}}
      - {slot: cache-store, backend: redis-dev, credentials: {vaultPath: "vault://secret/data/prism/x"}}
`)
    const violations = validateNamespace(namespace)
    expect(violations).toEqual([
      {path: 'patterns[1].requires[0].credentials.static', message: 'a session-aware pattern must not carry static credentials; use vaultPath with a vault:// reference'},
    ])
    expect(JSON.stringify(violations)).not.toContain('hunter2')
    // Static credentials are allowed when the pattern is not session-aware.
    expect(validateNamespace(ns(`  - name: cache
    type: keyvalue
    requires: [{slot: kv-store, backend: redis-dev, credentials: {static: {password: x}}}]
`))).toEqual([])
  })

  it('rule 4: vaultPath must be a vault:// reference', () => {
    const namespace = ns(`  - name: cache
    type: keyvalue
    requires: [{slot: kv-store, backend: redis-dev, credentials: {vaultPath: "secret/data/x"}}]
`)
    expect(validateNamespace(namespace)).toEqual([
      {path: 'patterns[0].requires[0].credentials.vaultPath', message: 'vaultPath must be a vault:// reference such as vault://secret/data/prism/NAME, got "secret/data/x"'},
    ])
  })

  it('rule 5: slot names are {purpose}-{type}', () => {
    const namespace = ns(`  - name: cache
    type: keyvalue
    requires: [{slot: kvstore, backendType: redis}, {slot: "", backendType: redis}]
`)
    expect(validateNamespace(namespace)).toEqual([
      {path: 'patterns[0].requires[0].slot', message: 'slot "kvstore" must be named {purpose}-{type}, e.g. kv-store or message-sink'},
      {path: 'patterns[0].requires[1].slot', message: 'slot is required'},
      {path: 'patterns[0].requires', message: 'pattern type keyvalue 1.1.0 needs slot kv-store in requires'},
    ])
  })

  it('rule 5: pattern names are valid and unique', () => {
    const namespace = ns(`  - name: cache
    type: keyvalue
    requires: [{slot: kv-store, backendType: redis}]
  - name: cache
    type: keyvalue
    requires: [{slot: kv-store, backendType: redis}]
  - name: c
    type: keyvalue
    requires: [{slot: kv-store, backendType: redis}]
`)
    expect(validateNamespace(namespace)).toEqual([
      {path: 'patterns[1].name', message: 'duplicate pattern name "cache" (also patterns[0])'},
      {path: 'patterns[2].name', message: `pattern name "c" is invalid: use 3 to 63 lowercase letters, digits or '-', starting with a letter`},
    ])
  })

  it('pattern type must be known, with a suggestion', () => {
    const namespace = ns(`  - name: cache
    type: keyvaleu
  - name: other
    type: ""
`)
    expect(validateNamespace(namespace)).toEqual([
      {path: 'patterns[0].type', message: 'unknown pattern type "keyvaleu"; did you mean "keyvalue"? (known: session-manager, keyvalue, producer, consumer, pubsub, queue, mailbox)'},
      {path: 'patterns[1].type', message: 'pattern type is required (one of session-manager, keyvalue, producer, consumer, pubsub, queue, mailbox)'},
    ])
  })

  it('a requested version must exist', () => {
    const namespace = ns(`  - name: cache
    type: keyvalue
    version: 2.0.0
    requires: [{slot: kv-store, backendType: redis}]
`)
    expect(validateNamespace(namespace)).toEqual([{path: 'patterns[0].version', message: 'version "2.0.0" does not exist for pattern type keyvalue (available: 1.0.0, 1.1.0)'}])
  })

  it('slots must exist for the pattern version, once, and bind a target', () => {
    const namespace = ns(`  - name: cache
    type: keyvalue
    version: 1.0.0
    requires: [{slot: kv-store, backendType: redis}, {slot: cache-store, backendType: redis}, {slot: kv-store}]
    produces: [{slot: kv-events, backendType: nats}]
  - name: feed
    type: producer
    requires: [{slot: message-sink, backendType: unspecified}]
`)
    expect(validateNamespace(namespace)).toEqual([
      {path: 'patterns[0].requires[1].slot', message: 'unknown slot cache-store for pattern type keyvalue 1.0.0 requires (known: kv-store)'},
      {path: 'patterns[0].requires[2].slot', message: 'slot kv-store is bound twice (also patterns[0].requires[0])'},
      {path: 'patterns[0].requires[2]', message: 'bind the slot to a backend (backend: NAME) or a backend type (backendType: TYPE)'},
      {path: 'patterns[0].produces[0].slot', message: 'unknown slot kv-events for pattern type keyvalue 1.0.0 produces (it has no produces slots)'},
      {path: 'patterns[1].requires[0].backendType', message: 'backendType must be one of redis, nats, kafka, postgres, sqlite, s3, memstore'},
    ])
  })

  it('a mailbox names its topics and a retention that is a duration', () => {
    const slots = `    requires: [{slot: message-source, backendType: nats}, {slot: mailbox-store, backendType: postgres}]\n`
    expect(validateNamespace(ns(`  - name: archive\n    type: mailbox\n${slots}    settings: {topics: "orders,payments", retention: 30d}\n`))).toEqual([])
    expect(validateNamespace(ns(`  - name: archive\n    type: mailbox\n${slots}  - name: audit\n    type: mailbox\n${slots}    settings: {topics: "orders,,x", retention: forever}\n`))).toEqual([
      {path: 'patterns[0].settings', message: 'pattern type mailbox needs settings.topics: comma-separated topics to store, e.g. "orders,payments"'},
      {path: 'patterns[1].settings.topics', message: 'settings.topics has an empty item in "orders,,x": comma-separated topics to store, e.g. "orders,payments"'},
      {path: 'patterns[1].settings.retention', message: 'settings.retention must be a duration such as 12h or 7d, got "forever"'},
    ])
    // Each topic is a topic name: no spaces or NATS wildcards (which would subscribe to more), not the proxy's own.
    expect(validateNamespace(ns(`  - name: archive\n    type: mailbox\n${slots}    settings: {topics: "orders, my topic,a.>,_prism.session.started,${'t'.repeat(129)}"}\n`))).toEqual([
      {path: 'patterns[0].settings.topics', message: 'settings.topics: "my topic" is not a topic name (topics use letters, digits, "_", "." and "-", and do not start with "." or "-")'},
      {path: 'patterns[0].settings.topics', message: 'settings.topics: "a.>" is not a topic name (topics use letters, digits, "_", "." and "-", and do not start with "." or "-")'},
      {path: 'patterns[0].settings.topics', message: 'settings.topics: "_prism.session.started" is reserved: topics starting with _prism. carry the proxy\'s own events'},
      {path: 'patterns[0].settings.topics', message: expect.stringMatching(/^settings\.topics: "t+…" is longer than 128 characters$/)},
    ])
    expect(validateNamespace(ns(`  - name: archive\n    type: mailbox\n    settings: {topics: orders}\n`))).toEqual([
      {path: 'patterns[0].requires', message: 'pattern type mailbox 0.1.0 needs slot message-source in requires'},
      {path: 'patterns[0].requires', message: 'pattern type mailbox 0.1.0 needs slot mailbox-store in requires'},
    ])
  })

  it('auth provider is known and set when auth is enabled', () => {
    expect(validateNamespace(load<Namespace>(`${BASE}auth: {enabled: true, provider: oicd}`))).toEqual([
      {path: 'auth.provider', message: 'unknown auth provider "oicd"; did you mean "oidc"? (known: oidc, jwt, mtls)'},
    ])
    expect(validateNamespace(load<Namespace>(`${BASE}auth: {enabled: true}`))).toEqual([
      {path: 'auth.provider', message: 'provider is required when auth is enabled (one of oidc, jwt, mtls)'},
    ])
  })
})

describe('validateBackend', () => {
  it('accepts a complete backend', () => {
    expect(validateBackend(be('type: redis\nredis: {address: "redis:6379"}\ninterfaces: [keyvalue_basic]'))).toEqual([])
    expect(validateBackend(be('type: memstore'))).toEqual([])
  })

  it('needs a valid name and a type', () => {
    expect(validateBackend(create(BackendSchema, {name: '9lives'}))).toEqual([
      {path: 'name', message: `backend name "9lives" is invalid: use 3 to 63 lowercase letters, digits or '-', starting with a letter`},
      {path: 'type', message: 'type is required (one of redis, nats, kafka, postgres, sqlite, s3, memstore)'},
    ])
    expect(validateBackend(create(BackendSchema, {name: 'odd-type', type: 42 as BackendType}))[0]!.path).toBe('type')
  })

  it('the config block matches the type', () => {
    expect(validateBackend(be('type: redis\nnats: {url: "nats://x"}'))).toEqual([{path: 'nats', message: 'a nats config does not match type redis; use a "redis:" block'}])
    expect(validateBackend(be('type: kafka'))).toEqual([{path: 'kafka', message: 'a kafka backend needs a "kafka:" config block'}])
  })

  it('a URL in the config holds no credentials, and the error does not echo them', () => {
    const message = 'nats.url must not hold credentials (the part before "@"): whoever can read the backend would see them; put them in credentials (static username and password, or token, or vaultPath)'
    for (const url of ['nats://prism:s3cret@nats:4222', 'nats://tok3n@nats:4222', 'nats://a:4222, prism:s3cret@b:4222', 'prism:s3cret@nats:4222']) {
      expect(validateBackend(be(`type: nats\nnats: {url: "${url}"}`))).toEqual([{path: 'nats.url', message}])
    }
    for (const url of ['nats://nats:4222', 'nats://a:4222,nats://b:4222', 'nats://nats:4222/path@x', 'tls://nats:4222?x=a@b']) {
      expect(validateBackend(be(`type: nats\nnats: {url: "${url}"}`))).toEqual([])
    }
    expect(validateBackend(be('type: s3\ns3: {bucket: b, endpoint: "https://key:secret@s3.local"}'))[0]!.path).toBe('s3.endpoint')
  })

  it('settings.retention of a messaging pattern is a duration from 1s to 3650d', () => {
    const events = (retention: string) => validateNamespace(ns(`  - name: events\n    type: pubsub\n    requires: [{slot: message-bus, backendType: nats}]\n    settings: {retention: "${retention}"}\n`))
    expect(events('36h')).toEqual([])
    expect(events('3650d')).toEqual([])
    expect(events('soon')).toEqual([{path: 'patterns[0].settings.retention', message: 'settings.retention must be a duration such as 12h or 7d, got "soon"'}])
    for (const retention of ['3651d', '50ms', '0.4ms']) {
      expect(events(retention)).toEqual([{path: 'patterns[0].settings.retention', message: `settings.retention must be from 1s to 3650d, got "${retention}"`}])
    }
  })

  it('the config has what the type needs', () => {
    expect(validateBackend(be('type: redis\nredis: {database: 2}'))).toEqual([{path: 'redis.address', message: 'redis.address is required (host:port)'}])
    expect(validateBackend(be('type: kafka\nkafka: {clientId: x}'))).toEqual([{path: 'kafka.brokers', message: 'kafka.brokers is required (a list of host:port)'}])
    expect(validateBackend(be('type: postgres\npostgres: {host: db, port: 70000}'))).toEqual([{path: 'postgres.port', message: 'postgres.port must be from 1 to 65535, got 70000'}])
  })

  it('credentials must reference vault', () => {
    expect(validateBackend(be('type: memstore\ncredentials: {vaultPath: "vault://"}'))).toEqual([
      {path: 'credentials.vaultPath', message: 'vaultPath must be a vault:// reference such as vault://secret/data/prism/NAME, got "vault://"'},
    ])
  })

  it('interfaces are known and listed once', () => {
    expect(validateBackend(be('type: memstore\ninterfaces: [keyvalue_basic, keyvalue_ttll, keyvalue_basic]'))).toEqual([
      {
        path: 'interfaces[1]',
        message:
          'unknown interface "keyvalue_ttll"; did you mean "keyvalue_ttl"? (known: keyvalue_basic, keyvalue_ttl, keyvalue_scan, keyvalue_transactional, pubsub_basic, pubsub_persistent, queue_basic, queue_visibility, stream_basic, object_store, table_writer, table_reader)',
      },
      {path: 'interfaces[2]', message: 'interface keyvalue_basic is listed twice'},
    ])
  })
})

describe('size limits', () => {
  // Only the limit violations: the bulky test objects break other rules too (unknown slots, …).
  const limits = (violations: {path: string; message: string}[]) => violations.filter((v) => /^(at most \d+ |keys must be |values must be )/.test(v.message))
  const entries = (n: number, value = 'v') => Object.fromEntries(Array.from({length: n}, (_, i) => [`k${i}`, value]))
  const bindings = (n: number) => Array.from({length: n}, (_, i) => ({slot: `s${i}-store`, target: {case: 'backendType' as const, value: BackendType.REDIS}}))
  const namespace = (init: Parameters<typeof create<typeof NamespaceSchema>>[1]) => create(NamespaceSchema, {name: 'team-alpha', team: 'platform-team', ...init})
  const backend = (init: Parameters<typeof create<typeof BackendSchema>>[1]) => create(BackendSchema, {name: 'mem-one', type: BackendType.MEMSTORE, ...init})

  it('namespace description: 1024 characters', () => {
    expect(validateNamespace(namespace({description: 'd'.repeat(1024)}))).toEqual([])
    expect(validateNamespace(namespace({description: 'd'.repeat(1025)}))).toEqual([{path: 'description', message: 'at most 1024 characters are allowed, got 1025'}])
  })

  it('labels: 64 entries, keys of 1 to 63 characters, values of up to 256', () => {
    expect(validateNamespace(namespace({labels: entries(64)}))).toEqual([])
    expect(validateNamespace(namespace({labels: entries(5000)}))).toEqual([{path: 'labels', message: 'at most 64 entries are allowed, got 5000'}])
    expect(validateNamespace(namespace({labels: {['k'.repeat(63)]: 'v'.repeat(256)}}))).toEqual([])
    expect(validateNamespace(namespace({labels: {['k'.repeat(64)]: 'v', '': 'v', 'a"b': 'v'.repeat(257)}}))).toEqual([
      {path: `labels["${'k'.repeat(64)}"]`, message: 'keys must be 1 to 63 characters, got 64'},
      {path: 'labels[""]', message: 'keys must be 1 to 63 characters, got 0'},
      {path: 'labels["a\\"b"]', message: 'values must be at most 256 characters, got 257'},
    ])
  })

  it('patterns: 32 per namespace, each with 16 bindings per direction and 64 settings of up to 4096 characters', () => {
    const patterns = (n: number) => Array.from({length: n}, (_, i) => ({name: `cache-${i}`, type: 'keyvalue', requires: bindings(1)}))
    expect(limits(validateNamespace(namespace({patterns: patterns(32)})))).toEqual([])
    expect(limits(validateNamespace(namespace({patterns: patterns(33)})))).toEqual([{path: 'patterns', message: 'at most 32 patterns are allowed, got 33'}])

    const big = (n: number, settings: Record<string, string>) => namespace({patterns: [{name: 'cache', type: 'keyvalue', requires: bindings(n), produces: bindings(n), settings}]})
    expect(limits(validateNamespace(big(16, {...entries(63), long: 's'.repeat(4096)})))).toEqual([])
    expect(limits(validateNamespace(big(17, {...entries(64), long: 's'.repeat(4097)})))).toEqual([
      {path: 'patterns[0].requires', message: 'at most 16 bindings are allowed, got 17'},
      {path: 'patterns[0].produces', message: 'at most 16 bindings are allowed, got 17'},
      {path: 'patterns[0].settings', message: 'at most 64 entries are allowed, got 65'},
    ])
    expect(limits(validateNamespace(big(1, {long: 's'.repeat(4097)})))).toEqual([{path: 'patterns[0].settings["long"]', message: 'values must be at most 4096 characters, got 4097'}])
  })

  it('auth: 64 allowed groups', () => {
    const groups = (n: number) => Array.from({length: n}, (_, i) => `group-${i}`)
    expect(validateNamespace(namespace({auth: {enabled: true, provider: 'oidc', allowedGroups: groups(64)}}))).toEqual([])
    expect(validateNamespace(namespace({auth: {enabled: true, provider: 'oidc', allowedGroups: groups(65)}}))).toEqual([
      {path: 'auth.allowedGroups', message: 'at most 64 groups are allowed, got 65'},
    ])
  })

  it('limits come before the other violations', () => {
    expect(validateNamespace(namespace({name: 'X', labels: entries(65)}))).toEqual([
      {path: 'labels', message: 'at most 64 entries are allowed, got 65'},
      {path: 'name', message: `namespace name "X" is invalid: use 3 to 63 lowercase letters, digits or '-', starting with a letter`},
    ])
  })

  it('backend: description, labels and 32 interfaces', () => {
    const interfaces = (n: number) => Array.from({length: n}, () => 'keyvalue_basic')
    expect(limits(validateBackend(backend({description: 'd'.repeat(1024), labels: entries(64), interfaces: interfaces(32)})))).toEqual([])
    expect(limits(validateBackend(backend({description: 'd'.repeat(1025), labels: {...entries(64), ['k'.repeat(64)]: 'v'}, interfaces: interfaces(33)})))).toEqual([
      {path: 'description', message: 'at most 1024 characters are allowed, got 1025'},
      {path: 'labels', message: 'at most 64 entries are allowed, got 65'},
      {path: 'interfaces', message: 'at most 32 interfaces are allowed, got 33'},
    ])
    expect(validateBackend(backend({labels: {env: 'v'.repeat(257)}}))).toEqual([{path: 'labels["env"]', message: 'values must be at most 256 characters, got 257'}])
  })

  it('are reported against the line of the file', () => {
    const labels = Array.from({length: 65}, (_, i) => `  k${i}: v`).join('\n')
    const {docs} = parseDocuments(`${BASE}description: ${'d'.repeat(1025)}\nlabels:\n${labels}\n  ${'k'.repeat(64)}: v\n`, 'big.yaml')
    expect(validateDocuments(docs).map(formatProblem)).toEqual([
      'big.yaml:4:14: description: at most 1024 characters are allowed, got 1025',
      'big.yaml:5:1: labels: at most 64 entries are allowed, got 66',
    ])
    // A scalar entry is located at its value, on the key's line.
    const {docs: one} = parseDocuments(`${BASE}labels:\n  env: dev\n  ${'k'.repeat(64)}: v\n`, 'key.yaml')
    expect(validateDocuments(one).map(formatProblem)).toEqual([`key.yaml:6:69: labels["${'k'.repeat(64)}"]: keys must be 1 to 63 characters, got 64`])
  })
})

describe('validateDocuments', () => {
  it('finds nothing wrong in the shipped examples', () => {
    const dir = join(import.meta.dirname, '../../templates/examples')
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'))
    expect(files).toContain('team-alpha.yaml')
    for (const file of files) {
      const {docs, problems} = parseDocuments(readFileSync(join(dir, file)), file)
      expect(problems).toEqual([])
      expect(docs.length).toBeGreaterThan(0)
      expect(validateDocuments(docs)).toEqual([])
    }
  })

  it('places each violation at its line and finds duplicate resources', () => {
    const {docs} = parseDocuments(`kind: Backend
name: mem-one
type: memstore
---
kind: Backend
name: mem-one
type: memstore
---
kind: Namespace
name: team-alpha
team: platform-team
patterns:
  - name: cache
    type: keyvalue
    requires:
      - slot: kvstore
        backendType: redis
`, 'all.yaml')
    expect(validateDocuments(docs).map(formatProblem)).toEqual([
      'all.yaml:6:7: name: duplicate Backend "mem-one" (also in all.yaml:2)',
      'all.yaml:16:15: patterns[0].requires[0].slot: slot "kvstore" must be named {purpose}-{type}, e.g. kv-store or message-sink',
      'all.yaml:15:5: patterns[0].requires: pattern type keyvalue 1.1.0 needs slot kv-store in requires',
    ])
  })
})
