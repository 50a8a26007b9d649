import {create} from '@bufbuild/protobuf'
import {describe, expect, it} from 'vitest'

import {thrown} from '../../test/helpers/errors.js'
import {BackendSchema, BackendType} from '../gen/prism/admin/v1/resources_pb.js'
import {applyLabels, backendFromFlags, updateBackendFromFlags} from './backend-flags.js'

describe('backendFromFlags', () => {
  it('builds the per-type config, interfaces, labels and credentials', () => {
    const b = backendFromFlags('redis-dev', {type: 'redis', address: 'redis:6379', database: '2', interfaces: ['keyvalue_basic,keyvalue_ttl'], label: ['env=dev'], 'vault-path': 'vault://secret/data/redis'})
    expect(b.type).toBe(BackendType.REDIS)
    expect(b.config).toMatchObject({case: 'redis', value: {address: 'redis:6379', database: 2}})
    expect(b.interfaces).toEqual(['keyvalue_basic', 'keyvalue_ttl'])
    expect(b.labels).toEqual({env: 'dev'})
    expect(b.credentials?.source).toEqual({case: 'vaultPath', value: 'vault://secret/data/redis'})
    expect(backendFromFlags('pg', {type: 'postgres', host: 'db', port: 5433, database: 'prism'}).config).toMatchObject({case: 'postgres', value: {host: 'db', port: 5433, database: 'prism'}})
    expect(backendFromFlags('k', {type: 'kafka', brokers: ['a:9092', 'b:9092,c:9092']}).config).toMatchObject({case: 'kafka', value: {brokers: ['a:9092', 'b:9092', 'c:9092']}})
  })

  it('refuses flags of another type, unknown types and a missing type as usage errors', () => {
    const misplaced = thrown(() => backendFromFlags('r', {type: 'redis', url: 'nats://x'}))
    expect(misplaced.exitCode).toBe(2)
    expect(misplaced.message).toBe('--url does not apply to --type redis')
    expect(misplaced.hint).toContain('--address')
    expect(thrown(() => backendFromFlags('r', {type: 'mongo'})).hint).toContain('redis, nats, kafka')
    expect(thrown(() => backendFromFlags('r', {})).message).toContain('--type is required')
    expect(thrown(() => backendFromFlags('r', {type: 'redis', database: 'zero'})).message).toContain('--database must be a non-negative integer')
  })
})

describe('updateBackendFromFlags', () => {
  const current = create(BackendSchema, {
    name: 'redis-dev',
    type: BackendType.REDIS,
    config: {case: 'redis', value: {address: 'redis:6379', database: 1}},
    labels: {env: 'dev', owner: 'x'},
    status: {meta: {version: 4n}},
  })

  it('changes only what the flags say and drops the status', () => {
    const b = updateBackendFromFlags(current, {address: 'redis-2:6379', label: ['owner-', 'tier=gold']})
    expect(b.config).toMatchObject({case: 'redis', value: {address: 'redis-2:6379', database: 1}})
    expect(b.labels).toEqual({env: 'dev', tier: 'gold'})
    expect(b.status).toBeUndefined()
    expect(current.config.value).toMatchObject({address: 'redis:6379'})
  })

  it('starts a fresh config when the type changes', () => {
    const b = updateBackendFromFlags(current, {type: 'nats', url: 'nats://nats:4222'})
    expect(b.type).toBe(BackendType.NATS)
    expect(b.config).toMatchObject({case: 'nats', value: {url: 'nats://nats:4222'}})
  })
})

describe('applyLabels', () => {
  it('rejects a spec without =', () => {
    expect(thrown(() => applyLabels({}, ['env'])).message).toContain('key=value')
  })
})
