import {create} from '@bufbuild/protobuf'
import {describe, expect, it} from 'vitest'

import {BackendSchema, BackendType, NamespaceSchema} from '../gen/prism/admin/v1/resources_pb.js'
import {BackendPool} from './backends.js'
import {RoutingTable} from './routing.js'

const memstore = (name: string, maxKeys: number) => create(BackendSchema, {name, type: BackendType.MEMSTORE, config: {case: 'memstore', value: {maxKeys}}})
const binding = (backend: string) =>
  create(NamespaceSchema, {name: `ns-${backend}`, patterns: [{name: 'cache', type: 'keyvalue'}], status: {patterns: [{name: 'cache', bindings: [{slot: 'kv-store', backend}]}]}})

describe('BackendPool', () => {
  it('reconnects only the backend whose registration changed, and closes one nothing binds any more', async () => {
    const pool = new BackendPool(() => {})
    pool.sync(RoutingTable.from([binding('a'), binding('b')], [memstore('a', 10), memstore('b', 10)]))
    const a1 = await pool.get('a')
    const b1 = await pool.get('b')
    await a1.keyValue!.set('k', Buffer.from('v'))

    // a's settings change, b's labels do: only a gets a new connection (memstore: a fresh, empty one).
    pool.sync(RoutingTable.from([binding('a'), binding('b')], [memstore('a', 20), create(BackendSchema, {...memstore('b', 10), labels: {x: 'y'}})]))
    const a2 = await pool.get('a')
    expect(a2).not.toBe(a1)
    expect(await a2.keyValue!.get('k')).toBeUndefined()
    expect(await pool.get('b')).toBe(b1)

    // Nobody binds b any more: it is gone from the pool.
    pool.sync(RoutingTable.from([binding('a')], [memstore('a', 20), memstore('b', 10)]))
    await expect(pool.get('b')).rejects.toMatchObject({code: 'UNAVAILABLE'})
    expect((await pool.check()).map((s) => s.name)).toEqual(['a'])
    await pool.close()
  })

  it('a bound connection whose set-up fails is down in check() until it can be set up, which check() tries again', async () => {
    let vaultReachable = false
    const pool = new BackendPool(
      () => {},
      async (backend) => {
        if (!vaultReachable) throw new Error(`backend ${backend.name} takes its credentials from Vault, and this proxy has no Vault`)
        return backend
      },
    )
    pool.sync(RoutingTable.from([binding('a')], [memstore('a', 10)]))
    await expect(pool.get('a')).rejects.toThrow(/has no Vault/)
    expect(await pool.check()).toEqual([{name: 'a', type: BackendType.MEMSTORE, state: 'down', error: 'backend a takes its credentials from Vault, and this proxy has no Vault'}])
    vaultReachable = true
    expect(await pool.check()).toEqual([{name: 'a', type: BackendType.MEMSTORE, state: 'connected', error: undefined}])
    // Unbound, it is neither connected nor reported.
    vaultReachable = false
    pool.sync(RoutingTable.from([], [memstore('a', 10)]))
    expect(await pool.check()).toEqual([])
    await pool.close()
  })
})
