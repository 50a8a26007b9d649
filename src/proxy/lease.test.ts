import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import {leaseKeeper} from './lease.js'

/** Records each call; every renewal stays in flight until the test settles it. */
function recordingAdmin() {
  const calls: {method: string; namespaces?: string[]}[] = []
  const pending: (() => void)[] = []
  const admin = {
    call: (method: string, req: {namespaces?: string[]}) => {
      calls.push({method, namespaces: req.namespaces && [...req.namespaces]})
      return method === 'renewProxyLease' ? new Promise<void>((resolve) => pending.push(resolve)) : Promise.resolve()
    },
  }
  return {admin: admin as never, calls, settle: () => pending.splice(0).forEach((resolve) => resolve())}
}

/** A keeper with a 15 s lease (renewed every 5 s). */
const keeper = (admin: never, served: () => string[], log: (line: string) => void = () => {}) => leaseKeeper({admin, proxyId: 'p1', version: 'v', log, ttlSeconds: 15}, served)

/** A keeper whose first renewal has been sent and is still in flight, and its release() once asked for. */
async function releasingInFlight() {
  const {admin, calls, settle} = recordingAdmin()
  const lease = keeper(admin, () => ['a'])
  lease.renewSoon()
  await vi.advanceTimersByTimeAsync(50)
  let released = false
  const releasing = lease.release().then(() => (released = true))
  return {calls, settle, releasing, released: () => released}
}

describe('leaseKeeper', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('a change while a renewal is in flight is renewed right after it, not at the next periodic renewal', async () => {
    const {admin, calls, settle} = recordingAdmin()
    let served = ['a']
    const lease = keeper(admin, () => served)
    lease.renewSoon()
    await vi.advanceTimersByTimeAsync(50)
    expect(calls).toEqual([{method: 'renewProxyLease', namespaces: ['a']}])

    // The table changes while the renewal carrying ['a'] is still in flight.
    served = ['a', 'b']
    lease.renewSoon()
    await vi.advanceTimersByTimeAsync(100)
    expect(calls).toHaveLength(1) // one renewal at a time
    settle()
    await vi.advanceTimersByTimeAsync(1)
    expect(calls).toEqual([
      {method: 'renewProxyLease', namespaces: ['a']},
      {method: 'renewProxyLease', namespaces: ['a', 'b']},
    ])
    settle()
    // Then every third of the lifetime.
    await vi.advanceTimersByTimeAsync(4_999)
    expect(calls).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(calls).toHaveLength(3)
    settle()
    await lease.release()
  })

  it('release waits for the renewal in flight, so it cannot bring the lease back, and renews no more', async () => {
    const {calls, settle, releasing, released} = await releasingInFlight()
    await vi.advanceTimersByTimeAsync(10)
    expect(released()).toBe(false)
    expect(calls.map((c) => c.method)).toEqual(['renewProxyLease'])
    settle()
    await releasing
    expect(calls.map((c) => c.method)).toEqual(['renewProxyLease', 'releaseProxyLease'])
    await vi.advanceTimersByTimeAsync(60_000)
    expect(calls).toHaveLength(2)
  })

  it('a failed renewal is tried again after a second, then every third of the lifetime once it works', async () => {
    const calls: number[] = []
    let failing = true
    const admin = {call: async () => {
      calls.push(Date.now())
      if (failing) throw new Error('UNAVAILABLE: the control plane is restarting')
    }} as never
    const logs: string[] = []
    const lease = keeper(admin, () => ['a'], (l) => logs.push(l))
    lease.renewSoon()
    await vi.advanceTimersByTimeAsync(50)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(calls).toHaveLength(2)
    failing = false
    await vi.advanceTimersByTimeAsync(1_000)
    expect(calls).toHaveLength(3)
    await vi.advanceTimersByTimeAsync(4_999)
    expect(calls).toHaveLength(3)
    await vi.advanceTimersByTimeAsync(1)
    expect(calls).toHaveLength(4)
    // The reason once, however often it repeats; then that it is renewed again.
    expect(logs).toEqual(['cannot renew the proxy lease: UNAVAILABLE: the control plane is restarting', 'lease renewed'])
    await lease.release()
  })

  it('release waits a second at most for a renewal the control plane does not answer', async () => {
    const {calls, releasing, released} = await releasingInFlight()
    await vi.advanceTimersByTimeAsync(999)
    expect(released()).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    await releasing
    expect(calls.map((c) => c.method)).toEqual(['renewProxyLease', 'releaseProxyLease'])
  })

  it('a proxy that never synced releases nothing', async () => {
    const {admin, calls} = recordingAdmin()
    await keeper(admin, () => []).release()
    expect(calls).toEqual([])
  })
})
