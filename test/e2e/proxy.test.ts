/**
 * The data path end to end: the built CLI → a real proxy (`proxy serve`) → real backends (memstore in the proxy,
 * a real redis-server), with the proxy following a real control plane (`admin serve`, SQLite) on 127.0.0.1.
 */
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startAdminServer, type AdminServer} from '../helpers/admin-server.js'
import {runCli, tempDir, type CliResult, type RunOptions} from '../helpers/cli.js'
import {startProxyServer, waitReady, type ProxyServer} from '../helpers/proxy-server.js'
import {startRedis, type TestRedis} from '../helpers/redis.js'
import {eventually} from '../helpers/subscriptions.js'

let admin: AdminServer
let proxy: ProxyServer
let redis: TestRedis
let configDir: string
let files: string

function cli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  return runCli(args, {configDir, ...options, env: {PRISM_ADMIN_ENDPOINT: admin.endpoint, PRISM_PROXY_ENDPOINT: proxy.endpoint, ...options.env}})
}

async function ok(args: string[], options?: RunOptions): Promise<CliResult> {
  const r = await cli(args, options)
  expect(r.code, `prismctl ${args.join(' ')}\n${r.stderr}`).toBe(0)
  return r
}

function file(name: string, content: string): string {
  const path = join(files, name)
  writeFileSync(path, content)
  return path
}

function resources(): string {
  return `
kind: Backend
name: mem-e2e
type: memstore
---
kind: Backend
name: redis-e2e
type: redis
redis: {address: "${redis.address}"}
---
kind: Namespace
name: mem-data
team: platform-team
patterns:
  - name: cache
    type: keyvalue
    requires: [{slot: kv-store, backend: mem-e2e}]
  - name: events
    type: pubsub
    requires: [{slot: message-bus, backend: mem-e2e}]
---
kind: Namespace
name: redis-data
team: platform-team
patterns:
  - name: cache
    type: keyvalue
    requires: [{slot: kv-store, backend: redis-e2e}]
  - name: feed
    type: pubsub
    requires: [{slot: message-bus, backend: redis-e2e}]
---
kind: Namespace
name: two-caches
team: platform-team
patterns:
  - name: hot
    type: keyvalue
    requires: [{slot: kv-store, backend: mem-e2e}]
  - name: cold
    type: keyvalue
    requires: [{slot: kv-store, backend: redis-e2e}]
---
kind: Namespace
name: only-queue
team: platform-team
patterns:
  - name: jobs
    type: queue
    requires: [{slot: message-queue, backend: mem-e2e}]
`
}

beforeAll(async () => {
  configDir = tempDir()
  files = tempDir('prismctl-data-')
  redis = await startRedis()
  admin = await startAdminServer()
  proxy = await startProxyServer({adminEndpoint: admin.endpoint})
  await ok(['apply', '-f', file('resources.yaml', resources())])
  await waitReady(proxy)
})

afterAll(async () => {
  await proxy?.stop()
  await admin?.stop()
  await redis?.stop()
})

describe.each(['mem-data', 'redis-data'])('kv on %s', (ns) => {
  it('stores and returns the exact bytes, from an argument, a file and stdin', async () => {
    await ok(['kv', 'set', ns, 'greeting', 'hello world'])
    expect((await ok(['kv', 'get', ns, 'greeting'])).stdout).toBe('hello world')

    const binary = Buffer.from([0, 1, 2, 255, 10, 13, 128])
    const path = join(files, `${ns}.bin`)
    writeFileSync(path, binary)
    await ok(['kv', 'set', ns, 'blob', '-f', path])
    const got = await ok(['kv', 'get', ns, 'blob', '--json'])
    expect(JSON.parse(got.stdout)).toMatchObject({key: 'blob', encoding: 'base64', value: binary.toString('base64'), bytes: 7})

    await ok(['kv', 'set', ns, 'piped'], {input: 'from stdin\n'})
    expect((await ok(['kv', 'get', ns, 'piped'])).stdout).toBe('from stdin\n')
  })

  it('says not found with exit 1; exists, delete, ttl and scan behave as documented', async () => {
    const missing = await cli(['kv', 'get', ns, 'no-such-key'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain(`key "no-such-key" not found in namespace ${ns}`)
    expect(missing.stdout).toBe('')

    expect((await ok(['kv', 'set', ns, 'temp', 'x', '--ttl', '1h'])).stderr).toContain('stored temp (1 byte, expires in 3600s)')
    const ttl = Number((await ok(['kv', 'ttl', ns, 'temp'])).stdout.trim())
    expect(ttl).toBeGreaterThan(3500)
    expect(ttl).toBeLessThanOrEqual(3600)
    await ok(['kv', 'set', ns, 'forever', 'y'])
    expect((await ok(['kv', 'ttl', ns, 'forever'])).stdout.trim()).toBe('-1')
    expect((await ok(['kv', 'ttl', ns, 'forever', '2m'])).stdout.trim()).toMatch(/^1[12][0-9]$/)

    expect((await ok(['kv', 'exists', ns, 'forever'])).stdout.trim()).toBe('true')
    const absent = await cli(['kv', 'exists', ns, 'never-set'])
    expect([absent.code, absent.stdout.trim()]).toEqual([1, 'false'])

    // Prefixes with glob and LIKE characters match literally.
    for (const key of ['scan:a', 'scan:b', 'scan*x', 'scanned', 'scan:c']) await ok(['kv', 'set', ns, key, `v-${key}`])
    const names = (await ok(['kv', 'scan', ns, 'scan:', '-o', 'name'])).stdout.trim().split('\n')
    expect(names).toEqual(['scan:a', 'scan:b', 'scan:c'])
    const star = JSON.parse((await ok(['kv', 'scan', ns, 'scan*', '-o', 'json'])).stdout)
    expect(star.entries).toEqual([{key: 'scan*x', value: 'v-scan*x', encoding: 'utf8'}])
    expect((await ok(['kv', 'scan', ns, 'scan:', '--limit', '2', '-o', 'name'])).stdout.trim().split('\n')).toHaveLength(2)

    expect((await ok(['kv', 'delete', ns, 'forever'])).stdout).toContain('deleted forever')
    const again = await cli(['kv', 'delete', ns, 'forever'])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('nothing was deleted')
    await ok(['kv', 'delete', ns, 'forever', '--ignore-not-found'])
  }, 60_000)

  it('reports the capabilities of the bound backend', async () => {
    const caps = JSON.parse((await ok(['kv', 'capabilities', ns, '-o', 'json'])).stdout)
    expect(caps).toMatchObject({namespace: ns, pattern: 'cache', expiration: true, scan: 'native', limits: {keyBytes: 1024, valueBytes: 1048576}})
    expect(caps.backendType).toBe(ns === 'mem-data' ? 'memstore' : 'redis')
    expect(caps.batch).toBe(ns === 'mem-data' ? 'pipelined' : 'native')
  })
})

describe('routing and limits', () => {
  it('names what is wrong: unknown namespace, missing pattern family, several patterns, oversized values', async () => {
    const unknown = await cli(['kv', 'get', 'no-such-ns', 'k'])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain('namespace "no-such-ns" not found')

    const noKv = await cli(['kv', 'get', 'only-queue', 'k'])
    expect(noKv.code).toBe(1)
    expect(noKv.stderr).toContain('namespace only-queue has no keyvalue pattern; its patterns: jobs (queue)')

    const several = await cli(['kv', 'get', 'two-caches', 'k'])
    expect(several.code).toBe(1)
    expect(several.stderr).toContain('has 2 keyvalue patterns (hot, cold)')
    expect(several.stderr).toContain('--pattern')
    await ok(['kv', 'set', 'two-caches', 'k', 'hot-value', '--pattern', 'hot'])
    await ok(['kv', 'set', 'two-caches', 'k', 'cold-value', '--pattern', 'cold'])
    expect((await ok(['kv', 'get', 'two-caches', 'k', '--pattern', 'hot'])).stdout).toBe('hot-value')
    expect((await ok(['kv', 'get', 'two-caches', 'k', '--pattern', 'cold'])).stdout).toBe('cold-value')
    const wrong = await cli(['kv', 'get', 'two-caches', 'k', '--pattern', 'warm'])
    expect(wrong.stderr).toContain('has no keyvalue pattern named warm; it has: hot, cold')

    const big = join(files, 'big.bin')
    writeFileSync(big, Buffer.alloc(1024 * 1024 + 1, 7))
    const tooBig = await cli(['kv', 'set', 'mem-data', 'big', '-f', big])
    expect(tooBig.code).toBe(1)
    expect(tooBig.stderr).toContain('the value is 1048577 bytes; the limit is 1048576 bytes')
    const longKey = await cli(['kv', 'set', 'mem-data', 'k'.repeat(1025), 'v'])
    expect(longKey.stderr).toContain('the key is 1025 bytes; the limit is 1024 bytes')
  }, 60_000)

  it('fails cleanly when the proxy is not there', async () => {
    const r = await runCli(['kv', 'get', 'mem-data', 'k', '--proxy-endpoint', '127.0.0.1:1', '--timeout', '2s'], {configDir})
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('cannot reach the proxy at 127.0.0.1:1')
    expect(r.stderr).toContain('prismctl proxy serve')
  })
})

describe('publish and consume', () => {
  it('replays a topic from the earliest message with its metadata (memstore)', async () => {
    const published = await ok(['publish', 'mem-data', 'orders', '{"id":1}', '--count', '3', '-H', 'trace=abc', '--content-type', 'application/json'])
    const ids = published.stdout.trim().split('\n')
    expect(ids).toHaveLength(3)
    const consumed = await ok(['consume', 'mem-data', 'orders', '--from', 'earliest', '--count', '3', '-o', 'json'])
    const messages = consumed.stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(messages.map((m) => m.messageId)).toEqual(ids)
    expect(messages.map((m) => m.metadata['x-sequence'])).toEqual(['1', '2', '3'])
    expect(messages[0]).toMatchObject({topic: 'orders', payload: '{"id":1}', encoding: 'utf8', metadata: {trace: 'abc', 'prism-content-type': 'application/json'}})
  })

  it('shares a group between consumers and never hands an acknowledged message out again (memstore)', async () => {
    await ok(['publish', 'mem-data', 'work', 'job', '--count', '4'])
    const first = await ok(['consume', 'mem-data', 'work', '--group', 'workers', '--from', 'earliest', '--count', '2', '-o', 'json'])
    const second = await ok(['consume', 'mem-data', 'work', '--group', 'workers', '--from', 'earliest', '--count', '2', '-o', 'json'])
    const seq = (r: CliResult) => r.stdout.trim().split('\n').map((l) => JSON.parse(l).metadata['x-sequence'])
    expect([...seq(first), ...seq(second)].sort()).toEqual(['1', '2', '3', '4'])
    // Everything was acknowledged: nothing is left for the group.
    const rest = await cli(['consume', 'mem-data', 'work', '--group', 'workers', '--count', '1', '--timeout', '1s'])
    expect(rest.code).toBe(1)
    expect(rest.stderr).toContain('received 0 of 1 messages on work')
    expect(rest.stderr).toContain('A group goes on from where it stopped (--from applies only when the group is first used)')
  })

  it('a control-plane command sent to the proxy says to check the endpoint, not only that the server may be old', async () => {
    const r = await cli(['namespace', 'list'], {env: {PRISM_ADMIN_ENDPOINT: proxy.endpoint}})
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`Hint: Check that ${proxy.endpoint} is the control plane (--admin-endpoint, PRISM_ADMIN_ENDPOINT choose it), not another Prism server`)
  })

  it('consume stopped by Ctrl-C prints what it received and exits 130', async () => {
    await ok(['publish', 'mem-data', 'interrupted', 'first'])
    const r = await cli(['consume', 'mem-data', 'interrupted', '--from', 'earliest', '--count', '3', '--timeout', '20s'], {
      timeoutMs: 15_000,
      onStdout: (stdout, child) => {
        if (stdout.includes('first') && !child.killed) child.kill('SIGINT')
      },
    })
    expect(r.code, r.stderr).toBe(130)
    expect(r.stdout).toBe('first\n')
  })

  it('carries pub/sub messages through Redis, and refuses groups there', async () => {
    const consumer = cli(['consume', 'redis-data', 'news', '--count', '1', '--timeout', '15s', '-o', 'json'], {timeoutMs: 20_000})
    // Redis pub/sub keeps nothing: publish until the subscriber, which starts in parallel, has seen one.
    let done = false
    void consumer.then(() => (done = true))
    while (!done) {
      await ok(['publish', 'redis-data', 'news', 'extra', '-H', 'k=v'])
      await new Promise((r) => setTimeout(r, 200))
    }
    const r = await consumer
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout.trim())).toMatchObject({topic: 'news', payload: 'extra', metadata: {k: 'v'}})

    const group = await cli(['consume', 'redis-data', 'news', '--group', 'g1', '--count', '1'])
    expect(group.code).toBe(1)
    expect(group.stderr).toContain('backend redis-e2e has no consumer groups')
  }, 30_000)
})

describe('failures', () => {
  it('answers UNAVAILABLE naming the backend while Redis is down, and recovers without a proxy restart', async () => {
    await ok(['kv', 'set', 'redis-data', 'survivor', 'before'])
    await redis.kill()
    const down = await cli(['kv', 'get', 'redis-data', 'survivor'])
    expect(down.code).toBe(1)
    expect(down.stderr).toContain('backend redis-e2e')
    expect(down.stderr).toContain('unavailable')
    const ready = await fetch(`http://${proxy.metrics}/readyz`)
    expect(ready.status).toBe(503)
    expect(await ready.text()).toContain('backend redis-e2e')
    // memstore namespaces are unaffected.
    await ok(['kv', 'set', 'mem-data', 'still', 'fine'])

    await redis.start()
    await eventually(async () => {
      await ok(['kv', 'set', 'redis-data', 'survivor', 'after'])
    })
    expect((await ok(['kv', 'get', 'redis-data', 'survivor'])).stdout).toBe('after')
    await waitReady(proxy)
  }, 60_000)

  it('keeps serving while the control plane is down, then picks up what changed meanwhile', async () => {
    await ok(['kv', 'set', 'mem-data', 'cp-down', 'before'])
    const [host, port] = [admin.endpoint.split(':')[0]!, admin.endpoint.split(':')[1]!]
    const store = /store: sqlite (\S+)/.exec(admin.logs())?.[1]
    expect(store).toBeDefined()
    const dir = join(store!, '..')
    admin.child.kill('SIGKILL')
    await admin.exited
    // Reads and writes go on from the last routing table.
    await ok(['kv', 'set', 'mem-data', 'cp-down', 'during'])
    expect((await ok(['kv', 'get', 'mem-data', 'cp-down'])).stdout).toBe('during')
    const status = JSON.parse((await ok(['proxy', 'status', '--json'])).stdout)
    expect(status.sync).toBe('disconnected')

    // The control plane comes back on the same store and port, and things change before the proxy reconnects.
    admin = await startAdminServer({configDir: dir, store: `sqlite://${store}`, listen: `${host}:${port}`})
    await ok(['namespace', 'delete', 'two-caches', '--yes'])
    await ok(['apply', '-f', file('late.yaml', 'kind: Namespace\nname: late-comer\nteam: platform-team\npatterns:\n  - name: cache\n    type: keyvalue\n    requires: [{slot: kv-store, backend: mem-e2e}]\n')])
    await eventually(async () => {
      await ok(['kv', 'set', 'late-comer', 'k', 'v'])
      const gone = await cli(['kv', 'get', 'two-caches', 'k', '--pattern', 'hot'])
      expect(gone.stderr).toContain('namespace "two-caches" not found')
    }, 150)
    expect(JSON.parse((await ok(['proxy', 'status', '--json'])).stdout).sync).toBe('synced')
  }, 60_000)
})

describe('proxy status and metrics', () => {
  it('shows the sync state, namespaces and backends, and counts calls by namespace and code', async () => {
    const status = JSON.parse((await ok(['proxy', 'status', '--json'])).stdout)
    expect(status).toMatchObject({serving: true, sync: 'synced', authEnabled: false})
    expect(status.backends.map((b: {name: string}) => b.name).sort()).toEqual(['mem-e2e', 'redis-e2e'])
    const text = (await ok(['health'])).stdout
    expect(text).toContain('health:         SERVING')

    const metrics = await (await fetch(`http://${proxy.metrics}/metrics`)).text()
    expect(metrics).toMatch(/prism_proxy_requests_total\{namespace="mem-data",pattern="keyvalue",method="store",code="OK"\} [1-9]/)
    expect(metrics).toMatch(/prism_proxy_requests_total\{namespace="\(unknown\)",pattern="keyvalue",method="retrieve",code="NOT_FOUND"\} [1-9]/)
    expect(metrics).toContain('prism_proxy_watch_sync_state{state="synced"} 1')
    expect((await fetch(`http://${proxy.metrics}/healthz`)).status).toBe(200)
  })
})

// Last: it stops the proxy.
describe('serving status', () => {
  it('shows a namespace ACTIVE with the proxies that serve it, and drops a proxy that stops', async () => {
    const servedBy = async (ns: string) => {
      const got = JSON.parse((await ok(['namespace', 'get', ns, '-o', 'json'])).stdout)
      return {phase: got.status?.phase as string, proxies: (got.status?.servingProxies ?? []) as string[]}
    }
    const second = await startProxyServer({adminEndpoint: admin.endpoint, args: ['--auth', 'none', '--proxy-id', 'e2e-second']})
    try {
      await eventually(async () => {
        const s = await servedBy('mem-data')
        expect(s.phase).toBe('active')
        expect(s.proxies).toContain('e2e-second')
        expect(s.proxies).toHaveLength(2)
      })
    } finally {
      await second.stop()
    }
    // It released its lease on the way out; the first proxy still serves the namespace.
    const after = await servedBy('mem-data')
    expect(after.proxies).not.toContain('e2e-second')
    expect(after.proxies).toHaveLength(1)
    expect(after.phase).toBe('active')

    // The last proxy stops: nobody serves it any more.
    await proxy.stop()
    const none = await servedBy('mem-data')
    expect(none).toEqual({phase: 'pending', proxies: []})
  }, 30_000)
})
