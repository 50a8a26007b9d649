/** Bounded audit of refused writes and retention pruning, on a real SQLite store (a temp file) with our own clock. */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {OTHER_PRINCIPALS, REFUSAL_WINDOW_MS, RefusalAudit, startAuditPruning} from './audit-limits.js'
import {openStore, type AuditRecord, type Store} from './store.js'

let dir: string
let store: Store
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'prism-audit-'))
  store = await openStore(`sqlite://${join(dir, 'cp.db')}`)
})
afterEach(async () => {
  await store.close()
  rmSync(dir, {recursive: true, force: true})
})

const refusal = (principal: string, action = 'CreateNamespace'): AuditRecord => ({
  time: new Date(),
  principal,
  action,
  resourceKind: 'Namespace',
  resourceName: 'spam',
  outcome: 'PERMISSION_DENIED',
  message: `${action} needs the operator role; ${principal} has no role`,
})

describe('RefusalAudit', () => {
  it('5,000 refusals of one principal in a window are one entry counting 5,000; another principal gets its own', async () => {
    const clock = 1_000_000
    const refusals = new RefusalAudit(store, REFUSAL_WINDOW_MS, () => clock)
    // Concurrent, as a hammering client makes them.
    await Promise.all(Array.from({length: 5000}, (_, i) => refusals.record(refusal('dave@example.test', i % 2 ? 'DeleteBackend' : 'CreateNamespace'))))
    await refusals.record(refusal('erin@example.test'))
    await refusals.flush()
    const rows = await store.listAudit({limit: 100})
    expect(rows.map((r) => [r.principal, r.count])).toEqual([
      ['erin@example.test', 1],
      ['dave@example.test', 5000],
    ])
    // The entry is the first refusal, as it was.
    expect(rows[1]).toMatchObject({action: 'CreateNamespace', outcome: 'PERMISSION_DENIED', message: 'CreateNamespace needs the operator role; dave@example.test has no role'})
    await refusals.stop()
  })

  it('a new window starts a new entry; the last counts are written on stop', async () => {
    let clock = 1_000_000
    const refusals = new RefusalAudit(store, REFUSAL_WINDOW_MS, () => clock)
    for (let i = 0; i < 30; i++) await refusals.record(refusal('dave@example.test'))
    clock += REFUSAL_WINDOW_MS - 1
    await refusals.record(refusal('dave@example.test'))
    clock += 1
    for (let i = 0; i < 7; i++) await refusals.record(refusal('dave@example.test'))
    await refusals.stop()
    expect((await store.listAudit({limit: 100})).map((r) => r.count)).toEqual([7, 31])
  })

  it('tracks at most 10,000 principals per window: the rest share one entry', async () => {
    const refusals = new RefusalAudit(store, REFUSAL_WINDOW_MS, () => 1_000_000)
    await Promise.all(Array.from({length: 10_005}, (_, i) => refusals.record(refusal(`user-${i}@example.test`))))
    await refusals.stop()
    const rows = await store.listAudit({limit: 20_000})
    expect(rows).toHaveLength(10_001)
    expect(rows.find((r) => r.principal === OTHER_PRINCIPALS)).toMatchObject({count: 5, message: expect.stringContaining('the first: user-10000@example.test')})
  })
})

describe('startAuditPruning', () => {
  it('prunes entries older than the retention at once, and says how many', async () => {
    const day = 86_400_000
    for (const age of [100 * day, 91 * day, 89 * day, 0]) await store.appendAudit({...refusal('alice@example.test'), time: new Date(Date.now() - age), outcome: 'OK'})
    const lines: string[] = []
    const pruning = await startAuditPruning(store, 90 * day, (line) => lines.push(line))
    pruning.stop()
    expect((await store.listAudit({limit: 10})).length).toBe(2)
    expect(lines).toEqual(['audit log: pruned 2 entries older than the retention'])
  })
})
