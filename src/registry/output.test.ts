import {clone, create} from '@bufbuild/protobuf'
import {timestampFromDate} from '@bufbuild/protobuf/wkt'
import {describe, expect, it} from 'vitest'

import {BackendSchema, BackendType, NamespacePhase, NamespaceSchema} from '../gen/prism/admin/v1/resources_pb.js'
import {parseDocuments} from '../model/documents.js'
import {age, backendAddress, renderResources} from './output.js'

const now = new Date('2026-11-23T12:00:00Z')
const ago = (seconds: number) => timestampFromDate(new Date(now.getTime() - seconds * 1000))

const namespace = create(NamespaceSchema, {
  name: 'team-alpha',
  team: 'alpha',
  patterns: [{name: 'sessions', type: 'session-manager'}, {name: 'cache', type: 'keyvalue'}],
  status: {phase: NamespacePhase.PENDING, partition: 42, meta: {version: 3n, createdAt: ago(3 * 3600)}},
})
const backend = create(BackendSchema, {
  name: 'redis-dev',
  type: BackendType.REDIS,
  config: {case: 'redis', value: {address: 'redis:6379', database: 1}},
  interfaces: ['keyvalue_basic', 'keyvalue_ttl'],
  status: {meta: {version: 1n, createdAt: ago(30)}},
})

describe('age', () => {
  it('uses the largest unit, like kubectl', () => {
    expect(age(ago(45), now)).toBe('45s')
    expect(age(ago(600), now)).toBe('10m')
    expect(age(ago(5 * 3600), now)).toBe('5h')
    expect(age(ago(9 * 86400), now)).toBe('9d')
    expect(age(undefined, now)).toBe('<unknown>')
  })
})

describe('renderResources', () => {
  it('renders kubectl-like tables', () => {
    expect(renderResources('Namespace', [namespace], 'table', {now}).split('\n')).toEqual([
      'NAME         TEAM    PATTERNS         PHASE     SERVED BY   PARTITION   VERSION   AGE',
      'team-alpha   alpha   sessions,cache   PENDING   <none>      42          3         3h',
    ])
    const served = clone(NamespaceSchema, namespace)
    Object.assign(served.status!, {phase: NamespacePhase.ACTIVE, servingProxies: ['proxy-a', 'proxy-b', 'proxy-c', 'proxy-d', 'proxy-e']})
    expect(renderResources('Namespace', [served], 'table', {now}).split('\n')[1]).toBe('team-alpha   alpha   sessions,cache   ACTIVE   proxy-a,proxy-b,proxy-c +2 more   42          3         3h')
    expect(renderResources('Backend', [backend], 'table', {now}).split('\n')).toEqual([
      'NAME        TYPE    ADDRESS        INTERFACES                    VERSION   AGE',
      'redis-dev   redis   redis:6379/1   keyvalue_basic,keyvalue_ttl   1         30s',
    ])
  })

  it('shows enum values from a newer server as numbers instead of failing', () => {
    const newer = create(BackendSchema, {name: 'future', type: 99 as BackendType, status: {meta: {version: 1n, createdAt: ago(30)}}})
    expect(renderResources('Backend', [newer], 'table', {now}).split('\n')[1]).toBe('future   99               <none>       1         30s')
    const ns = create(NamespaceSchema, {name: 'team-beta', team: 'beta', status: {phase: 9 as NamespacePhase, partition: 1}})
    expect(renderResources('Namespace', [ns], 'table', {now}).split('\n')[1]).toContain(' 9 ')
  })

  it('renders names as kind/name', () => {
    expect(renderResources('Backend', [backend, backend], 'name')).toBe('backend/redis-dev\nbackend/redis-dev')
  })

  it('renders one object for get and a List for list in JSON', () => {
    expect(JSON.parse(renderResources('Namespace', [namespace], 'json', {single: true}))).toMatchObject({kind: 'Namespace', name: 'team-alpha', status: {partition: 42}})
    const list = JSON.parse(renderResources('Namespace', [namespace, namespace], 'json'))
    expect(list.kind).toBe('List')
    expect(list.items).toHaveLength(2)
  })

  it('renders YAML documents separated by --- that parse back to the same resources', () => {
    const yaml = renderResources('Backend', [backend, create(BackendSchema, {name: 'mem-dev', type: BackendType.MEMSTORE})], 'yaml')
    expect(yaml).toContain('\n---\n')
    const {docs, problems} = parseDocuments(yaml, 'export.yaml')
    expect(problems).toEqual([])
    expect(docs.map((d) => [d.kind, d.message.name])).toEqual([
      ['Backend', 'redis-dev'],
      ['Backend', 'mem-dev'],
    ])
  })
})

describe('backendAddress', () => {
  it('summarises each type in one cell', () => {
    const b = (config: object) => create(BackendSchema, {name: 'x', config: config as never})
    expect(backendAddress(b({case: 'kafka', value: {brokers: ['k1:9092', 'k2:9092']}}))).toBe('k1:9092,k2:9092')
    expect(backendAddress(b({case: 'postgres', value: {host: 'pg', database: 'prism'}}))).toBe('pg:5432/prism')
    expect(backendAddress(b({case: 's3', value: {endpoint: 'http://minio:9000', bucket: 'data'}}))).toBe('http://minio:9000/data')
  })
})
