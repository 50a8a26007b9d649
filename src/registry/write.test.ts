import {describe, expect, it} from 'vitest'

import {thrown} from '../../test/helpers/errors.js'
import {PrismError} from '../errors.js'
import {parseDocuments} from '../model/documents.js'
import {parseTimeout} from './connection.js'
import {failureOf, finishWrite, locateViolations, orderForApply, outcomeLine, type Outcome} from './write.js'

const yaml = `kind: Namespace
name: team-alpha
team: alpha
patterns:
  - name: cache
    type: keyvalue
    requires:
      - slot: kv-store
        backend: redis-nope
---
kind: Backend
name: redis-dev
type: redis
redis:
  address: redis:6379
`

describe('orderForApply', () => {
  it('puts Backends before Namespaces and keeps file order within a kind', () => {
    const docs = [{kind: 'Namespace', n: 1}, {kind: 'Backend', n: 2}, {kind: 'Namespace', n: 3}, {kind: 'Backend', n: 4}] as const
    expect(orderForApply([...docs]).map((d) => d.n)).toEqual([2, 4, 1, 3])
  })
})

describe('locateViolations', () => {
  it('points server field violations at the line and column in the file', () => {
    const {docs} = parseDocuments(yaml, 'ns.yaml')
    const server = new PrismError('the control plane rejected namespace "team-alpha"', {
      code: 'INVALID_ARGUMENT',
      violations: [{field: 'patterns[0].requires[0].backend', description: 'backend "redis-nope" is not registered'}],
    })
    const located = locateViolations(server, docs[0]!)
    expect(located.details).toEqual(['ns.yaml:9:18: patterns[0].requires[0].backend: backend "redis-nope" is not registered'])
    expect(located.code).toBe('INVALID_ARGUMENT')
  })
})

describe('outcomes', () => {
  const ok: Outcome = {kind: 'Namespace', name: 'team-alpha', action: 'created'}
  const bad: Outcome = {kind: 'Backend', name: 'redis-dev', source: 'all.yaml (document 2)', error: new PrismError('backend "redis-dev" already exists', {code: 'ALREADY_EXISTS', hint: 'use apply'})}

  it('prints kubectl-style lines with the dry-run suffix', () => {
    expect(outcomeLine(ok, 'none')).toBe('namespace/team-alpha created')
    expect(outcomeLine(ok, 'server')).toBe('namespace/team-alpha created (server dry run)')
    expect(outcomeLine({...ok, action: 'configured'}, 'client')).toBe('namespace/team-alpha configured (dry run)')
  })

  it('fails with the document error itself for one document, with a summary naming each failure otherwise', () => {
    expect(failureOf([ok])).toBeUndefined()
    expect(failureOf([bad])).toBe(bad.error)
    const summary = failureOf([ok, bad])!
    expect(summary.message).toBe('1 of 2 documents failed; the others were applied')
    expect(summary.details[0]).toBe('backend/redis-dev (all.yaml (document 2)): backend "redis-dev" already exists')
    expect(summary.code).toBe('ALREADY_EXISTS')
    expect(summary.hint).toBe('use apply')
  })
})

describe('finishWrite', () => {
  const ok: Outcome = {kind: 'Namespace', name: 'team-alpha', source: 'ns.yaml', action: 'created', version: '1'}
  const bad: Outcome = {kind: 'Namespace', name: 'team-beta', error: new PrismError('rejected', {code: 'INVALID_ARGUMENT', details: [{file: 'ns.yaml', line: 3, path: 'name', message: 'bad'}]})}

  it('returns every outcome; on failure the error carries that same result', () => {
    expect(finishWrite({outcomes: [ok], total: 1}, 'none', 'apply')).toEqual({dryRun: 'none', items: [{kind: 'Namespace', name: 'team-alpha', source: 'ns.yaml', result: 'created', version: '1', error: undefined}]})
    const failed = thrown(() => finishWrite({outcomes: [ok, bad], total: 2}, 'none', 'apply'))
    expect(failed.result?.items).toHaveLength(2)
    expect((failed.result?.items as Record<string, unknown>[])[1]).toMatchObject({result: 'failed', error: {code: 'INVALID_ARGUMENT', details: [{file: 'ns.yaml', line: 3, path: 'name', message: 'bad'}]}})
  })

  it('an interrupted run says how far it got and exits 130; a stopped one keeps its own error', () => {
    const interrupted = thrown(() => finishWrite({outcomes: [ok], total: 5}, 'none', 'apply'))
    expect([interrupted.message, interrupted.exitCode, interrupted.code]).toEqual(['interrupted after 1 of 5 documents; the rest were not sent', 130, 'INTERRUPTED'])
    expect(interrupted.result?.items).toHaveLength(1)
    const down = new PrismError('cannot reach the control plane', {code: 'UNAVAILABLE'})
    const stopped = thrown(() => finishWrite({outcomes: [ok], total: 5, stopped: down}, 'none', 'apply'))
    expect([stopped.message, stopped.code, stopped.exitCode]).toEqual([down.message, 'UNAVAILABLE', 1])
    expect(stopped.result?.items).toHaveLength(1)
  })
})

describe('parseTimeout', () => {
  it('accepts durations with units or bare seconds, and rejects the rest as usage errors', () => {
    expect(parseTimeout('10s')).toBe(10_000)
    expect(parseTimeout('250ms')).toBe(250)
    expect(parseTimeout('2m')).toBe(120_000)
    expect(parseTimeout('1.5')).toBe(1500)
    expect(parseTimeout(undefined)).toBeUndefined()
    expect(() => parseTimeout('soon')).toThrow(/--timeout expects a duration/)
    expect(() => parseTimeout('0s')).toThrow(/--timeout/)
  })
})
