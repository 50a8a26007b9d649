import {create} from '@bufbuild/protobuf'
import {describe, expect, it} from 'vitest'

import {BackendSchema, BackendType, NamespaceSchema} from '../gen/prism/admin/v1/resources_pb.js'
import type {Backend} from '../gen/prism/admin/v1/resources_pb.js'
import {resolveNamespace, type BackendCatalog} from './resolve.js'

const backends = [
  create(BackendSchema, {name: 'lite', type: BackendType.SQLITE, config: {case: 'sqlite', value: {path: 'm.db'}}}),
  create(BackendSchema, {name: 'nats', type: BackendType.NATS, config: {case: 'nats', value: {url: 'nats://n:4222'}}}),
  create(BackendSchema, {name: 'pg-main', type: BackendType.POSTGRES, config: {case: 'postgres', value: {host: 'db'}}}),
  create(BackendSchema, {name: 'redis', type: BackendType.REDIS, config: {case: 'redis', value: {address: 'r:6379'}}}),
]
const catalog: BackendCatalog = {
  byName: async (name) => backends.find((b) => b.name === name),
  byType: async (type) => backends.filter((b: Backend) => b.type === type),
}

function mailbox(source: {case: 'backend'; value: string} | {case: 'backendType'; value: BackendType}, store: {case: 'backend'; value: string} | {case: 'backendType'; value: BackendType}) {
  return create(NamespaceSchema, {
    name: 'audit',
    patterns: [{name: 'archive', type: 'mailbox', requires: [{slot: 'message-source', target: source}, {slot: 'mailbox-store', target: store}]}],
  })
}

describe('resolveNamespace: a slot that takes one of several interfaces', () => {
  it('binds a source with pub/sub or with a queue, and records the interface it matched', async () => {
    const r = await resolveNamespace(mailbox({case: 'backend', value: 'nats'}, {case: 'backendType', value: BackendType.POSTGRES}), catalog, undefined)
    expect(r.violations).toEqual([])
    expect(r.patterns[0]!.bindings.map((b) => [b.slot, b.backend, b.interfaces])).toEqual([
      ['message-source', 'nats', ['pubsub_basic', 'queue_basic']],
      ['mailbox-store', 'pg-main', ['table_writer', 'table_reader']],
    ])
    const pgQueue = await resolveNamespace(mailbox({case: 'backend', value: 'pg-main'}, {case: 'backend', value: 'lite'}), catalog, undefined)
    expect([pgQueue.violations, pgQueue.patterns[0]!.bindings[0]!.interfaces]).toEqual([[], ['queue_basic']])
  })

  it('names what a backend lacks: one of the alternatives, or the interfaces it must have', async () => {
    const r = await resolveNamespace(mailbox({case: 'backend', value: 'lite'}, {case: 'backend', value: 'redis'}), catalog, undefined)
    expect(r.violations).toEqual([
      {field: 'patterns[0].requires[0].backend', description: 'backend "lite" (SQLITE) does not implement one of pubsub_basic or queue_basic, which slot "message-source" requires'},
      {field: 'patterns[0].requires[1].backend', description: 'backend "redis" (REDIS) does not implement table_writer, table_reader, which slot "mailbox-store" requires'},
    ])
    const byType = await resolveNamespace(mailbox({case: 'backendType', value: BackendType.SQLITE}, {case: 'backendType', value: BackendType.NATS}), catalog, undefined)
    expect(byType.violations.map((v) => v.description)).toEqual([
      'no registered SQLITE backend implements one of pubsub_basic or queue_basic, which slot "message-source" requires; register one first',
      'no registered NATS backend implements table_writer, table_reader, which slot "mailbox-store" requires; register one first',
    ])
  })
})
