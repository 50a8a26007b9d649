/** KeyValuePattern: the calls, checked against the limits and the bound backend's capabilities. */
import type * as grpc from '@grpc/grpc-js'
import {create} from '@bufbuild/protobuf'

import type {ServiceHandlers} from '../api/grpc-service.js'
import {PrismError} from '../errors.js'
import {BatchPerformance, KeyValuePattern, ScanPerformance, ScanResponseSchema} from '../gen/prism/patterns/v1/keyvalue_pb.js'
import type {KeyValueDriver} from './drivers/types.js'
import {scopeKey, unscopeKey} from './isolation.js'
import {checkBatch, checkKey, checkTtl, checkValue, LIMITS} from './limits.js'
import type {RouteOptions, Router} from './router.js'
import {writeWithBackpressure} from './streams.js'

const SCAN: Record<KeyValueDriver['support']['scan'], ScanPerformance> = {native: ScanPerformance.NATIVE, emulated: ScanPerformance.EMULATED, unavailable: ScanPerformance.UNAVAILABLE}
const BATCH: Record<KeyValueDriver['support']['batch'], BatchPerformance> = {native: BatchPerformance.NATIVE, pipeline: BatchPerformance.PIPELINE, unavailable: BatchPerformance.UNAVAILABLE}

type Call = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>

export function keyValueHandlers(router: Router): ServiceHandlers<(typeof KeyValuePattern)['method']> {
  /** The driver behind the namespace's keyvalue pattern, plus names for messages. */
  async function kv(call: Call, options?: RouteOptions) {
    const routed = await router(call, 'keyvalue', options)
    const driver = routed.connection.keyValue
    if (!driver) {
      throw new PrismError(`backend ${routed.target.backend} cannot serve keyvalue (pattern ${routed.target.pattern.name} of namespace ${routed.target.route.namespace})`, {
        code: 'FAILED_PRECONDITION',
        hint: 'Bind the kv-store slot to a backend with keyvalue_basic (redis, postgres, memstore).',
      })
    }
    const namespace = routed.target.route.namespace
    return {driver, key: (k: string) => scopeKey(namespace, k), namespace, target: routed.target, routed, session: routed.session}
  }

  /** A read and the session check side by side; the read's result only once the session admitted the call. */
  async function admitted<T>(session: Promise<void>, read: Promise<T>): Promise<T> {
    return (await Promise.all([read, session]))[0]
  }
  const READ: RouteOptions = {deferSession: true}

  function needExpiration(driver: KeyValueDriver, backend: string): void {
    if (!driver.support.expiration) {
      throw new PrismError(`backend ${backend} does not support expiration`, {code: 'FAILED_PRECONDITION', hint: 'Store without a TTL, or bind a backend with keyvalue_ttl (redis, memstore, postgres).'})
    }
  }

  return {
    getCapabilities: async (_req, call) => {
      const {driver, target, routed} = await kv(call)
      const s = driver.support
      return {
        supportsExpiration: s.expiration,
        supportsScan: s.scan !== 'unavailable',
        supportsBatch: s.batch !== 'unavailable',
        supportsTransactions: s.transactions,
        scanPerformance: SCAN[s.scan],
        batchPerformance: BATCH[s.batch],
        pattern: target.pattern.name,
        backend: target.backend,
        backendType: routed.backendType,
        maxKeyBytes: LIMITS.keyBytes,
        maxValueBytes: LIMITS.valueBytes,
        maxBatchEntries: LIMITS.batchEntries,
      }
    },
    store: async (req, call) => {
      checkKey(req.key)
      checkValue(req.value)
      const ttl = checkTtl(req.expirationSeconds)
      const {driver, target, key} = await kv(call)
      if (ttl !== undefined) needExpiration(driver, target.backend)
      await driver.set(key(req.key), req.value, ttl)
      return {}
    },
    retrieve: async (req, call) => {
      checkKey(req.key)
      const {driver, key, session} = await kv(call, READ)
      const value = await admitted(session, driver.get(key(req.key)))
      return value === undefined ? {found: false} : {found: true, value}
    },
    delete: async (req, call) => {
      checkKey(req.key)
      const {driver, key} = await kv(call)
      return {deleted: await driver.delete(key(req.key))}
    },
    exists: async (req, call) => {
      checkKey(req.key)
      const {driver, key, session} = await kv(call, READ)
      return {exists: await admitted(session, driver.exists(key(req.key)))}
    },
    scan: async (req, call) => {
      if (req.limit > LIMITS.scanMax) throw new PrismError(`the scan limit is at most ${LIMITS.scanMax}, got ${req.limit}`, {code: 'INVALID_ARGUMENT'})
      const {driver, target, key, namespace} = await kv(call)
      if (driver.support.scan === 'unavailable') {
        throw new PrismError(`scan not supported: backend ${target.backend} does not implement keyvalue_scan`, {code: 'UNIMPLEMENTED', hint: 'Bind a backend that can scan (redis, postgres, memstore).'})
      }
      for await (const entry of driver.scan(key(req.prefix), req.limit || LIMITS.scanDefault, req.keysOnly)) {
        if (call.cancelled) return
        await writeWithBackpressure(call as grpc.ServerWritableStream<unknown, unknown>, create(ScanResponseSchema, {...entry, key: unscopeKey(namespace, entry.key)}))
      }
    },
    storeBatch: async (req, call) => {
      checkBatch(req.entries.length)
      const entries = req.entries.map((e) => {
        checkKey(e.key)
        checkValue(e.value)
        return {key: e.key, value: e.value, ttlSeconds: checkTtl(e.expirationSeconds)}
      })
      const {driver, target, key} = await kv(call)
      if (entries.some((e) => e.ttlSeconds !== undefined)) needExpiration(driver, target.backend)
      const scoped = entries.map((e) => ({...e, key: key(e.key)}))
      if (driver.setMany) await driver.setMany(scoped)
      else await Promise.all(scoped.map((e) => driver.set(e.key, e.value, e.ttlSeconds)))
      return {stored: entries.length}
    },
    retrieveBatch: async (req, call) => {
      checkBatch(req.keys.length)
      for (const key of req.keys) checkKey(key)
      const {driver, key, session} = await kv(call, READ)
      const keys = req.keys.map(key)
      const values = await admitted(session, driver.getMany ? driver.getMany(keys) : Promise.all(keys.map((k) => driver.get(k))))
      return {results: values.map((value) => (value === undefined ? {found: false} : {found: true, value}))}
    },
    expire: async (req, call) => {
      checkKey(req.key)
      const ttl = checkTtl(req.expirationSeconds)!
      const {driver, target, key} = await kv(call)
      needExpiration(driver, target.backend)
      return {keyExisted: await driver.expire(key(req.key), ttl)}
    },
    getTTL: async (req, call) => {
      checkKey(req.key)
      const {driver, target, key, session} = await kv(call, READ)
      needExpiration(driver, target.backend)
      const ttl = await admitted(session, driver.ttl(key(req.key)))
      return ttl === undefined ? {found: false, ttlSeconds: 0n} : {found: true, ttlSeconds: BigInt(ttl)}
    },
  }
}
