/** The `kv` commands' work: one call each through the proxy's KeyValuePattern. */
import {BatchPerformance, KeyValuePattern, ScanPerformance} from '../gen/prism/patterns/v1/keyvalue_pb.js'
import {PrismError} from '../errors.js'
import {parseDuration} from '../config/duration.js'
import type {Routing} from '../api/proxy-client.js'
import {withProxy, type ProxyConnectionOptions} from './connection.js'

export interface KvTarget extends ProxyConnectionOptions {
  namespace: string
  /** --pattern, when the namespace has several keyvalue patterns. */
  pattern?: string
}

const routing = (t: KvTarget): Routing => ({namespace: t.namespace, pattern: t.pattern})

function notFound(t: KvTarget, key: string): PrismError {
  return new PrismError(`key "${key}" not found in namespace ${t.namespace}`, {code: 'NOT_FOUND', hint: `List keys with: prismctl kv scan ${t.namespace} PREFIX`})
}

/** `--ttl 30s` as whole seconds (at least one). */
export function ttlSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const ms = parseDuration(value, '--ttl')
  return Math.max(1, Math.round(ms / 1000))
}

export async function kvSet(t: KvTarget, key: string, value: Uint8Array, ttl?: number): Promise<{key: string; bytes: number; ttlSeconds?: number}> {
  await withProxy(t, (p) => p.call(KeyValuePattern, 'store', {key, value, expirationSeconds: ttl === undefined ? undefined : BigInt(ttl)}, routing(t)))
  return {key, bytes: value.length, ...(ttl === undefined ? {} : {ttlSeconds: ttl})}
}

/** The stored bytes; NOT_FOUND when there is no such key. */
export async function kvGet(t: KvTarget, key: string): Promise<Uint8Array> {
  const r = await withProxy(t, (p) => p.call(KeyValuePattern, 'retrieve', {key}, routing(t)))
  if (!r.found) throw notFound(t, key)
  return r.value
}

export async function kvDelete(t: KvTarget, key: string, ignoreNotFound: boolean): Promise<{key: string; deleted: boolean}> {
  const r = await withProxy(t, (p) => p.call(KeyValuePattern, 'delete', {key}, routing(t)))
  if (!r.deleted && !ignoreNotFound) throw new PrismError(`key "${key}" not found in namespace ${t.namespace}; nothing was deleted`, {code: 'NOT_FOUND', hint: 'Pass --ignore-not-found to treat this as success.'})
  return {key, deleted: r.deleted}
}

export async function kvExists(t: KvTarget, key: string): Promise<boolean> {
  return (await withProxy(t, (p) => p.call(KeyValuePattern, 'exists', {key}, routing(t)))).exists
}

/** Seconds left, or -1 when the key never expires; NOT_FOUND when there is no such key. */
export async function kvTtl(t: KvTarget, key: string): Promise<number> {
  const r = await withProxy(t, (p) => p.call(KeyValuePattern, 'getTTL', {key}, routing(t)))
  if (!r.found) throw notFound(t, key)
  return Number(r.ttlSeconds)
}

export async function kvExpire(t: KvTarget, key: string, ttl: number): Promise<void> {
  const r = await withProxy(t, (p) => p.call(KeyValuePattern, 'expire', {key, expirationSeconds: BigInt(ttl)}, routing(t)))
  if (!r.keyExisted) throw notFound(t, key)
}

export interface ScanEntry {
  key: string
  value?: Uint8Array
}

export async function kvScan(t: KvTarget, prefix: string, options: {limit?: number; keysOnly: boolean}): Promise<ScanEntry[]> {
  return withProxy(t, async (p) => {
    const entries: ScanEntry[] = []
    for await (const e of p.stream(KeyValuePattern, 'scan', {prefix, limit: options.limit ?? 0, keysOnly: options.keysOnly}, routing(t))) {
      entries.push(options.keysOnly ? {key: e.key} : {key: e.key, value: e.value})
    }
    return entries
  })
}

export interface KvCapabilities {
  namespace: string
  pattern: string
  backend: string
  backendType: string
  expiration: boolean
  scan: string
  batch: string
  transactions: boolean
  limits: {keyBytes: number; valueBytes: number; batchEntries: number}
}

const SCAN_NAMES: Record<ScanPerformance, string> = {[ScanPerformance.UNSPECIFIED]: 'unknown', [ScanPerformance.NATIVE]: 'native', [ScanPerformance.EMULATED]: 'emulated', [ScanPerformance.UNAVAILABLE]: 'unavailable'}
const BATCH_NAMES: Record<BatchPerformance, string> = {[BatchPerformance.UNSPECIFIED]: 'unknown', [BatchPerformance.NATIVE]: 'native', [BatchPerformance.PIPELINE]: 'pipelined', [BatchPerformance.UNAVAILABLE]: 'unavailable'}

export async function kvCapabilities(t: KvTarget): Promise<KvCapabilities> {
  const c = await withProxy(t, (p) => p.call(KeyValuePattern, 'getCapabilities', {}, routing(t)))
  return {
    namespace: t.namespace,
    pattern: c.pattern,
    backend: c.backend,
    backendType: c.backendType,
    expiration: c.supportsExpiration,
    scan: SCAN_NAMES[c.scanPerformance] ?? 'unknown',
    batch: BATCH_NAMES[c.batchPerformance] ?? 'unknown',
    transactions: c.supportsTransactions,
    limits: {keyBytes: c.maxKeyBytes, valueBytes: c.maxValueBytes, batchEntries: c.maxBatchEntries},
  }
}
