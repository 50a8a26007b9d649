/**
 * gRPC server reflection on both servers, checked with a real reflection client that has none of our .proto files:
 * `buf curl` (the buf CLI from devDependencies), listing the services and calling methods by name.
 */
import {execFile} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {promisify} from 'node:util'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startAdminServer, type AdminServer} from '../helpers/admin-server.js'
import {ROOT, runCli, tempDir} from '../helpers/cli.js'
import {startProxyServer, waitReady, type ProxyServer} from '../helpers/proxy-server.js'

const BUF = join(ROOT, 'node_modules/.bin/buf')

let admin: AdminServer
let proxy: ProxyServer

async function bufCurl(endpoint: string, args: string[]): Promise<string> {
  const {stdout} = await promisify(execFile)(BUF, ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', ...args.slice(0, -1), `http://${endpoint}${args.at(-1)}`], {timeout: 20_000})
  return stdout
}

beforeAll(async () => {
  admin = await startAdminServer()
  proxy = await startProxyServer({adminEndpoint: admin.endpoint})
  const manifest = join(tempDir('prism-reflection-'), 'ns.yaml')
  writeFileSync(manifest, 'kind: Backend\nname: mem-refl\ntype: memstore\n---\nkind: Namespace\nname: refl-data\nteam: platform-team\npatterns:\n  - name: cache\n    type: keyvalue\n    requires: [{slot: kv-store, backend: mem-refl}]\n')
  const applied = await runCli(['apply', '-f', manifest], {env: {PRISM_ADMIN_ENDPOINT: admin.endpoint}})
  expect(applied.code, applied.stderr).toBe(0)
  await waitReady(proxy)
})

afterAll(async () => {
  await proxy?.stop()
  await admin?.stop()
})

describe('server reflection', () => {
  it('lets a client without our protos list and call the control plane', async () => {
    const methods = (await bufCurl(admin.endpoint, ['--list-methods', ''])).trim().split('\n')
    expect(methods).toContain('prism.admin.v1.ControlPlane/ApplyNamespace')
    expect(methods).toContain('grpc.health.v1.Health/Check')
    expect(JSON.parse(await bufCurl(admin.endpoint, ['-d', '{"message": "hello"}', '/prism.admin.v1.ControlPlane/Echo']))).toEqual({message: 'hello'})
    // The proxy is in sync (waitReady) before its first lease renewal lands: ACTIVE follows within moments.
    const get = async () => JSON.parse(await bufCurl(admin.endpoint, ['-d', '{"name": "refl-data"}', '/prism.admin.v1.ControlPlane/GetNamespace'])) as {status?: {phase?: string}}
    let ns = await get()
    for (let i = 0; i < 40 && ns.status?.phase !== 'NAMESPACE_PHASE_ACTIVE'; i++) {
      await sleep(250)
      ns = await get()
    }
    expect(ns).toMatchObject({name: 'refl-data', status: {phase: 'NAMESPACE_PHASE_ACTIVE'}})
  })

  it('lets it call the proxy’s pattern APIs, the namespace in a header', async () => {
    const methods = (await bufCurl(proxy.endpoint, ['--list-methods', ''])).trim().split('\n')
    expect(methods).toEqual(expect.arrayContaining(['prism.patterns.v1.KeyValuePattern/Store', 'prism.patterns.v1.ConsumerPattern/Consume', 'prism.proxy.v1.ProxyInfo/GetInfo']))
    const header = ['-H', 'x-prism-namespace: refl-data']
    await bufCurl(proxy.endpoint, [...header, '-d', `{"key": "k", "value": "${Buffer.from('via reflection').toString('base64')}"}`, '/prism.patterns.v1.KeyValuePattern/Store'])
    const got = JSON.parse(await bufCurl(proxy.endpoint, [...header, '-d', '{"key": "k"}', '/prism.patterns.v1.KeyValuePattern/Retrieve']))
    expect(Buffer.from(got.value, 'base64').toString()).toBe('via reflection')
  })
})
