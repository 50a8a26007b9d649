import {decodeJwt} from 'jose'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {freePort} from '../../test/helpers/ports.js'
import {startDexIssuer, type RunningIssuer} from '../issuer/dex-issuer.js'
import {dexConfig, type DexConfig} from '../stack/dex-config.js'
import {passwordBearer} from './password-bearer.js'
import {testUser} from '../stack/test-users.js'

describe('passwordBearer: a service identity that keeps its own token fresh', () => {
  let config: DexConfig
  let issuer: RunningIssuer

  beforeAll(async () => {
    const port = await freePort()
    // ID tokens shorter than the refresh margin: every lookup has to renew.
    config = {...(await dexConfig({issuer: `http://localhost:${port}/dex`, listen: `127.0.0.1:${port}`})), expiry: {idTokens: '30s', deviceRequests: '5m'}}
    issuer = await startDexIssuer(config)
  })
  afterAll(() => issuer?.close())

  it('logs in with the password grant, renews by refresh, and logs in again when the refresh token is gone', async () => {
    const proxy = testUser('proxy')
    const log: string[] = []
    const bearer = passwordBearer({issuer: config.issuer, email: proxy.email, password: proxy.password, log: (l) => log.push(l)})
    const first = (await bearer({} as never))!
    expect(decodeJwt(first)).toMatchObject({email: proxy.email, groups: ['proxies'], aud: 'prismctl'})
    // Same-second tokens with the same claims are byte-identical: let iat move on.
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const second = (await bearer({} as never))!
    expect(decodeJwt(second).iat).toBeGreaterThan(decodeJwt(first).iat!)
    // Renewed through the refresh token: a failed refresh would have been logged.
    expect(log).toEqual([])

    // A restarted issuer (memory storage) knows no refresh token: the password grant takes over.
    await issuer.close()
    issuer = await startDexIssuer(config)
    const third = (await bearer({} as never))!
    expect(decodeJwt(third)).toMatchObject({email: proxy.email})
    expect(log).toHaveLength(1)
    expect(log[0]).toMatch(/^refreshing the token of proxy@local\.prism failed .*; logging in again$/)
  })

  it('one renewal at a time for concurrent callers', async () => {
    const proxy = testUser('proxy')
    const bearer = passwordBearer({issuer: config.issuer, email: proxy.email, password: proxy.password})
    const tokens = await Promise.all([bearer({} as never), bearer({} as never), bearer({} as never)])
    expect(new Set(tokens).size).toBe(1)
  })
})
