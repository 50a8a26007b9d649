/** The CLI's control plane client against a real server over gRPC on 127.0.0.1: how often it looks up the bearer. */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {resolveContext} from '../config/contexts.js'
import type {Authenticator} from '../controlplane/authn.js'
import {createServer, type RunningServer} from '../controlplane/server.js'
import {openStore} from '../controlplane/store.js'
import {connectAdmin} from './admin-client.js'

let dir: string
let server: RunningServer
/** The Authorization header of every call the server received. */
const received: (string | undefined)[] = []

const recording: Authenticator = {
  enabled: true,
  async authenticate(authorization) {
    received.push(authorization)
    return {name: 'tester', subject: 'tester', groups: [], roles: ['admin'], issuer: 'https://issuer.test'}
  },
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'prism-admin-client-'))
  const store = await openStore(`sqlite://${join(dir, 'cp.db')}`)
  server = await createServer({store, authenticator: recording, listen: '127.0.0.1:0', log: () => {}})
})

afterAll(async () => {
  await server?.shutdown(0)
  rmSync(dir, {recursive: true, force: true})
})

/** An (unsigned) JWT that expires `seconds` from now: the client reads only its expiry. */
function jwtExpiringIn(seconds: number): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
  return `${part({alg: 'none'})}.${part({sub: 'tester', exp: Math.floor(Date.now() / 1000) + seconds})}.sig`
}

async function callsWith(token: string, calls: number): Promise<number> {
  let lookups = 0
  const ctx = {...resolveContext({}, {PRISM_CONFIG_DIR: dir}), adminEndpoint: server.address}
  const admin = await connectAdmin(ctx, {
    bearer: () => {
      lookups++
      return token
    },
  })
  try {
    for (let i = 0; i < calls; i++) await admin.call('whoAmI', {})
  } finally {
    admin.close()
  }
  return lookups
}

describe('connectAdmin bearer lookup', () => {
  it('looks the bearer up once for all the calls of a client, and sends it on each', async () => {
    received.length = 0
    const token = jwtExpiringIn(3600)
    expect(await callsWith(token, 3)).toBe(1)
    expect(received).toEqual([`Bearer ${token}`, `Bearer ${token}`, `Bearer ${token}`])
  })

  it('looks it up again on each call while the token is within the refresh margin of its expiry', async () => {
    expect(await callsWith(jwtExpiringIn(30), 3)).toBe(3)
  })
})
