import {create} from '@bufbuild/protobuf'
import {describe, expect, it} from 'vitest'

import {BackendSchema, BackendType, NamespaceSchema} from '../gen/prism/admin/v1/resources_pb.js'
import {backendFingerprint, RoutingTable} from './routing.js'

function namespace(name: string, patterns: {name: string; type: string; slot: string; backend: string; vaultPath?: string}[]) {
  return create(NamespaceSchema, {
    name,
    patterns: patterns.map((p) => ({
      name: p.name,
      type: p.type,
      requires: p.vaultPath ? [{slot: p.slot, target: {case: 'backend' as const, value: p.backend}, credentials: {source: {case: 'vaultPath' as const, value: p.vaultPath}}}] : [],
    })),
    status: {patterns: patterns.map((p) => ({name: p.name, type: p.type, bindings: [{slot: p.slot, backend: p.backend}]}))},
  })
}

const mem = create(BackendSchema, {name: 'mem', type: BackendType.MEMSTORE})
const table = RoutingTable.from(
  [
    namespace('one', [{name: 'cache', type: 'keyvalue', slot: 'kv-store', backend: 'mem'}]),
    namespace('two', [
      {name: 'hot', type: 'keyvalue', slot: 'kv-store', backend: 'mem'},
      {name: 'cold', type: 'keyvalue', slot: 'kv-store', backend: 'other'},
      {name: 'bus', type: 'pubsub', slot: 'message-bus', backend: 'mem'},
    ]),
    namespace('three', [{name: 'own-creds', type: 'keyvalue', slot: 'kv-store', backend: 'mem', vaultPath: 'vault://secret/data/three'}]),
  ],
  [mem],
)

describe('RoutingTable.target', () => {
  it('finds the one pattern of a family, or the named one among several, with the backend of its data slot', () => {
    expect(table.target('one', 'keyvalue')).toMatchObject({pattern: {name: 'cache'}, slot: 'kv-store', backend: 'mem'})
    expect(table.target('two', 'keyvalue', 'cold')).toMatchObject({slot: 'kv-store', backend: 'other'})
    // A pubsub pattern serves both publishing and consuming.
    expect(table.target('two', 'producer').pattern.name).toBe('bus')
    expect(table.target('two', 'consumer').slot).toBe('message-bus')
  })

  it('says what is missing, with the gRPC code that fits', () => {
    expect(() => table.target('nope', 'keyvalue')).toThrow(expect.objectContaining({code: 'NOT_FOUND'}))
    expect(() => table.target('one', 'producer')).toThrow(expect.objectContaining({code: 'FAILED_PRECONDITION', message: expect.stringContaining('its patterns: cache (keyvalue)')}))
    expect(() => table.target('two', 'keyvalue')).toThrow(expect.objectContaining({code: 'FAILED_PRECONDITION', message: expect.stringContaining('(hot, cold)')}))
    expect(() => table.target('two', 'keyvalue', 'warm')).toThrow(expect.objectContaining({code: 'INVALID_ARGUMENT'}))
  })

  it('lists the connections namespaces need, including backends not (yet) registered; a binding with its own credentials needs its own', () => {
    expect([...table.boundConnections().values()]).toEqual([{backend: 'mem'}, {backend: 'other'}, {backend: 'mem', vaultPath: 'vault://secret/data/three'}])
    expect(table.target('three', 'keyvalue')).toMatchObject({backend: 'mem', vaultPath: 'vault://secret/data/three'})
    expect(table.target('one', 'keyvalue').vaultPath).toBeUndefined()
  })
})

describe('backendFingerprint', () => {
  it('changes with what a connection depends on, not with labels, description or status', () => {
    const redis = (address: string, extra = {}) => create(BackendSchema, {name: 'r', type: BackendType.REDIS, config: {case: 'redis', value: {address}}, ...extra})
    const base = redis('a:1')
    const relabelled = redis('a:1', {labels: {x: 'y'}, description: 'd', status: {meta: {version: 7n}}})
    const moved = redis('b:1')
    expect(backendFingerprint(relabelled)).toBe(backendFingerprint(base))
    expect(backendFingerprint(moved)).not.toBe(backendFingerprint(base))
  })
})
