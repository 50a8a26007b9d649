/**
 * Limits that hold before authentication (issue 10, item 2), against the real control plane and proxy on 127.0.0.1:
 * concurrent streams per connection, a deadline for receiving a request, a cap on connections, what the server's
 * memory does under all three, and a connection left after a GOAWAY (CLOSE-WAIT). The client is a raw HTTP/2 writer (test/helpers/raw-http2.ts), as an attacker's is.
 */
import {execFileSync} from 'node:child_process'
import {readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {connect as connectHttp2, type ClientHttp2Session} from 'node:http2'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {connectAdmin} from '../../src/api/admin-client.js'
import {DEFAULT_TRANSPORT_LIMITS} from '../../src/api/server-transport.js'
import {resolveContext} from '../../src/config/contexts.js'
import {WatchEventType} from '../../src/gen/prism/admin/v1/control_plane_pb.js'
import {startAdminServer, type AdminServer} from '../helpers/admin-server.js'
import {startServer} from '../helpers/control-plane.js'
import {runCli, tempDir} from '../helpers/cli.js'
import {startProxyServer, type ProxyServer} from '../helpers/proxy-server.js'
import {ERROR, rawHttp2, type RawHttp2} from '../helpers/raw-http2.js'

const GET_NAMESPACE = '/prism.admin.v1.ControlPlane/GetNamespace'
const MAX_CONCURRENT_STREAMS = 0x3

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024
const hostPort = (endpoint: string): [string, number] => [endpoint.slice(0, endpoint.lastIndexOf(':')), Number(endpoint.slice(endpoint.lastIndexOf(':') + 1))]

async function connected(endpoint: string): Promise<RawHttp2> {
  const client = rawHttp2(...hostPort(endpoint))
  await client.until(() => client.settings.size > 0 || client.closed, 5000, 'the server SETTINGS')
  return client
}

describe('the control plane under half-sent streams and many connections', () => {
  let server: AdminServer
  const clients: RawHttp2[] = []
  beforeAll(async () => {
    // The documented defaults except a short request deadline, to keep the test short.
    server = await startAdminServer({args: ['--auth', 'none', '--request-timeout', '2s']})
  })
  afterAll(async () => {
    for (const c of clients) c.close()
    await server?.stop()
  })

  it(`advertises ${DEFAULT_TRANSPORT_LIMITS.maxConcurrentStreams} concurrent streams and drops a connection that opens more`, async () => {
    const client = await connected(server.endpoint)
    clients.push(client)
    const limit = DEFAULT_TRANSPORT_LIMITS.maxConcurrentStreams
    expect(client.settings.get(MAX_CONCURRENT_STREAMS)).toBe(limit)
    const ids = Array.from({length: limit + 1}, () => client.openHalfSentStream(GET_NAMESPACE))
    // Past the acknowledged limit, Node's HTTP/2 server (nghttp2) treats the stream as a connection error: GOAWAY
    // naming the last stream it accepted (the 100th), and the connection closes.
    await client.until(() => client.closed, 5000, 'the connection to be closed')
    expect(client.goaway?.lastStreamId).toBe(ids[limit - 1])
    const other = await connected(server.endpoint)
    clients.push(other)
    expect([other.closed, other.settings.get(MAX_CONCURRENT_STREAMS)]).toEqual([false, limit])
    other.close()
  })

  it('ends a half-sent request after the request deadline with DEADLINE_EXCEEDED, and resets its stream', async () => {
    const session = connectHttp2(`http://${server.endpoint}`)
    session.on('error', () => {})
    try {
      const stream = session.request({':method': 'POST', ':path': GET_NAMESPACE, 'content-type': 'application/grpc', te: 'trailers'}, {endStream: false})
      stream.on('error', () => {})
      const [headers, rstCode] = await Promise.all([
        new Promise<Record<string, unknown>>((resolve) => stream.once('response', resolve)),
        new Promise<number>((resolve) => stream.once('close', () => resolve(stream.rstCode))),
      ])
      expect(headers['grpc-status']).toBe('4')
      expect(decodeURIComponent(String(headers['grpc-message']))).toBe('the request did not arrive within 2 s')
      expect(rstCode).toBe(ERROR.noError)
    } finally {
      session.destroy()
    }
  })

  it('leaves a Watch open past the request deadline: its request is complete, so only the stream limits apply', async () => {
    const env = {PRISM_CONFIG_DIR: tempDir('prism-limits-')}
    const admin = await connectAdmin({...resolveContext({}, env), adminEndpoint: server.endpoint}, {bearer: () => undefined})
    try {
      const events = admin.watch({})[Symbol.asyncIterator]()
      while ((await events.next()).value?.type !== WatchEventType.SYNCED);
      await new Promise((resolve) => setTimeout(resolve, 3000))
      const registered = await runCli(['backend', 'register', 'late-backend', '--type', 'memstore', '--interfaces', 'keyvalue_basic'], {env: {PRISM_ADMIN_ENDPOINT: server.endpoint}})
      expect(registered.code, registered.stderr).toBe(0)
      const event = (await events.next()).value
      expect([event?.type, event?.resource.case === 'backend' && event.resource.value.name]).toEqual([WatchEventType.UPSERT, 'late-backend'])
    } finally {
      admin.close()
    }
  })

  it('keeps memory bounded: 20 connections holding 100 half-sent streams each, all ended by the deadline', async () => {
    const before = rssMb(server.child.pid!)
    const attackers: RawHttp2[] = []
    for (let i = 0; i < 20; i++) attackers.push(await connected(server.endpoint))
    clients.push(...attackers)
    const ids = attackers.map((c) => Array.from({length: 100}, () => c.openHalfSentStream(GET_NAMESPACE)))
    await Promise.all(attackers.map((c, i) => c.until(() => ids[i]!.every((id) => c.resets.has(id)) || c.closed, 10_000, 'the deadline to end the held streams')))
    const during = rssMb(server.child.pid!)
    // Once reset, the slots are free again: each connection can hold 100 more.
    const second = attackers.map((c) => Array.from({length: 100}, () => c.openHalfSentStream(GET_NAMESPACE)))
    await Promise.all(attackers.map((c, i) => c.until(() => second[i]!.every((id) => c.resets.has(id)) || c.closed, 10_000, 'the deadline to end the second round')))
    const after = rssMb(server.child.pid!)
    console.log(`control plane RSS: ${before.toFixed(0)} MB before, ${during.toFixed(0)} MB after 20 x 100 half-sent streams, ${after.toFixed(0)} MB after a second round`)
    expect(attackers.filter((c) => c.closed)).toEqual([])
    expect([...ids, ...second].flat().length).toBe(4000)
    expect(attackers.every((c, i) => [...ids[i]!, ...second[i]!].every((id) => c.resets.get(id) === ERROR.noError && c.responded.has(id)))).toBe(true)
    expect(after - before).toBeLessThan(150)
    for (const c of attackers) c.close()
  })
})

describe('a control plane with --max-connections 20', () => {
  let server: AdminServer
  const clients: RawHttp2[] = []
  beforeAll(async () => {
    server = await startAdminServer({args: ['--auth', 'none', '--max-connections', '20']})
  })
  afterAll(async () => {
    for (const c of clients) c.close()
    await server?.stop()
  })

  it('refuses connections past the cap, and takes new ones once others close', async () => {
    const open: RawHttp2[] = []
    for (let i = 0; i < 20; i++) open.push(await connected(server.endpoint))
    clients.push(...open)
    expect(open.filter((c) => c.closed)).toEqual([])
    const refused = await connected(server.endpoint)
    clients.push(refused)
    await refused.until(() => refused.closed, 5000, 'the connection past the cap to be closed')
    expect(refused.settings.size).toBe(0)
    open.pop()!.close()
    // The server notices the close on its own schedule: try again (bounded) until a connection is taken.
    let again: RawHttp2 | undefined
    for (let attempt = 0; attempt < 50 && !(again && !again.closed); attempt++) {
      again = await connected(server.endpoint)
      clients.push(again)
      if (again.closed) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect([again?.closed, again?.settings.get(MAX_CONCURRENT_STREAMS)]).toEqual([false, 100])
    for (const c of [...open, again!]) c.close()
  })
})

describe('the proxy has the same limits', () => {
  let admin: AdminServer
  let proxy: ProxyServer
  beforeAll(async () => {
    admin = await startAdminServer()
    proxy = await startProxyServer({adminEndpoint: admin.endpoint, args: ['--auth', 'none', '--request-timeout', '2s', '--max-connections', '3']})
  })
  afterAll(async () => {
    await proxy?.stop()
    await admin?.stop()
  })

  it('advertises the stream limit, refuses a connection past the cap and ends a half-sent request', async () => {
    const open = [await connected(proxy.endpoint), await connected(proxy.endpoint), await connected(proxy.endpoint)]
    try {
      expect(open.map((c) => c.settings.get(MAX_CONCURRENT_STREAMS))).toEqual([100, 100, 100])
      const refused = await connected(proxy.endpoint)
      await refused.until(() => refused.closed, 5000, 'the connection past the cap to be closed')
      const id = open[0]!.openHalfSentStream('/prism.patterns.v1.KeyValuePattern/Retrieve')
      await open[0]!.until(() => open[0]!.resets.has(id), 10_000, 'the request deadline')
      expect([open[0]!.responded.has(id), open[0]!.resets.get(id)]).toEqual([true, ERROR.noError])
    } finally {
      for (const c of open) c.close()
    }
  })
})

describe('a connection Node stops reading after a GOAWAY for a protocol error', () => {
  it('is closed by the keepalive ping instead of staying in CLOSE-WAIT', async () => {
    // In process, to shorten the keepalive to 3 s (the default, 30 s + 20 s, would bound it at 50 s).
    const dir = tempDir('prism-closewait-')
    const server = await startServer(`sqlite://${join(dir, 'cp.db')}`, undefined, {transportLimits: {keepaliveTimeMs: 3000, keepaliveTimeoutMs: 1000}})
    const port = hostPort(server.address)[1]
    const closeWait = () => execFileSync('ss', ['-tanH', 'state', 'close-wait', `sport = :${port}`], {encoding: 'utf8'}).trim()
    let session: ClientHttp2Session | undefined
    try {
      // A header block far past what the server takes (~100 KB) gets GOAWAY COMPRESSION_ERROR; the client then ends
      // its side of the connection, which the server never reads again.
      const client = (session = connectHttp2(`http://${server.address}`, {maxSendHeaderBlockLength: 1_000_000}))
      client.on('error', () => {})
      const goaway = new Promise<number>((resolve) => client.once('goaway', resolve))
      const stream = client.request({':method': 'POST', ':path': GET_NAMESPACE, 'content-type': 'application/grpc', te: 'trailers', authorization: `Bearer ${'x'.repeat(200_000)}`})
      stream.on('error', () => {})
      expect(await goaway).toBe(9)
      // First the state the bug left for good (the client has ended its side), then the keepalive clears it.
      const until = async (done: () => boolean, ms: number) => {
        for (const end = Date.now() + ms; !done() && Date.now() < end; ) await new Promise((resolve) => setTimeout(resolve, 20))
      }
      let left = ''
      await until(() => (left = closeWait()) !== '', 5000)
      expect(left).not.toBe('')
      await until(() => (left = closeWait()) === '', 10_000)
      expect(left).toBe('')
    } finally {
      session?.destroy()
      await server.shutdown(1000)
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
