import {decodeJwt} from 'jose'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {approveDexDevice} from '../../test/helpers/browser.js'
import {freePort} from '../../test/helpers/ports.js'
import {deviceCodeLogin, discover, passwordLogin, refresh} from '../auth/oidc.js'
import {dexConfig} from '../stack/dex-config.js'
import {testUser} from '../stack/test-users.js'
import {startDexIssuer, type RunningIssuer} from './dex-issuer.js'

const SCOPES = 'openid profile email groups offline_access'

describe('the Dex-compatible development issuer, through prismctl\'s own OIDC client', () => {
  let issuer: RunningIssuer
  let url: string

  beforeAll(async () => {
    const port = await freePort()
    url = `http://localhost:${port}/dex`
    issuer = await startDexIssuer(await dexConfig({issuer: url, listen: `127.0.0.1:${port}`}))
  })
  afterAll(() => issuer?.close())

  it('serves discovery, keys and health at Dex\'s paths under the issuer path', async () => {
    const discovery = (await (await fetch(`${url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>
    expect(discovery).toMatchObject({
      issuer: url,
      jwks_uri: `${url}/keys`,
      token_endpoint: `${url}/token`,
      device_authorization_endpoint: `${url}/device/code`,
    })
    expect(discovery.grant_types_supported).toEqual(expect.arrayContaining(['password', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code']))
    const keys = (await (await fetch(`${url}/keys`)).json()) as {keys: {kty: string; d?: string}[]}
    expect(keys.keys).toHaveLength(1)
    expect(keys.keys[0]!.d).toBeUndefined()
    const health = await fetch(`${url}/healthz`)
    expect([health.status, await health.text()]).toEqual([200, 'Health check passed'])
    expect((await fetch(url.replace('/dex', '/elsewhere'))).status).toBe(404)
  })

  it('password grant with username = email: an ID token with email and groups for audience prismctl; refresh rotates', async () => {
    const oidc = await discover({issuer: url, clientId: 'prismctl'})
    const admin = testUser('admin')
    const tokens = await passwordLogin(oidc, SCOPES, admin.email, admin.password)
    expect(decodeJwt(tokens.bearer)).toMatchObject({iss: url, aud: 'prismctl', sub: admin.userID, email: admin.email, groups: ['admins']})
    expect(tokens.refreshToken).toBeTruthy()
    const renewed = await refresh(oidc, tokens)
    expect(decodeJwt(renewed.bearer)).toMatchObject({email: admin.email, groups: ['admins']})
    expect(renewed.refreshToken).not.toBe(tokens.refreshToken)
    // Rotation: the old refresh token is spent.
    await expect(refresh(oidc, tokens)).rejects.toThrow(/invalid_grant/)
  })

  it('refuses a wrong password and a username that is not an email', async () => {
    const oidc = await discover({issuer: url, clientId: 'prismctl'})
    const viewer = testUser('viewer')
    await expect(passwordLogin(oidc, SCOPES, viewer.email, 'wrong')).rejects.toThrow(/rejected the username or password/)
    await expect(passwordLogin(oidc, SCOPES, viewer.username, viewer.password)).rejects.toThrow(/rejected the username or password/)
  })

  it('device code: approved at /dex/device with the static password, the poll gets the user\'s token', async () => {
    const oidc = await discover({issuer: url, clientId: 'prismctl'})
    const operator = testUser('operator')
    let approval: Promise<void> | undefined
    const tokens = await deviceCodeLogin(oidc, SCOPES, (prompt) => {
      expect(prompt.verificationUri).toBe(`${url}/device`)
      approval = approveDexDevice(url, prompt.userCode, operator.email, operator.password)
    })
    await approval
    expect(decodeJwt(tokens.bearer)).toMatchObject({aud: 'prismctl', email: operator.email, groups: ['platform-team']})
  }, 30_000)

  it('the login page refuses a wrong password and lets the person try again', async () => {
    const response = await fetch(`${url}/device/code`, {method: 'POST', body: new URLSearchParams({client_id: 'prismctl', scope: 'openid'})})
    const {user_code: userCode} = (await response.json()) as {user_code: string}
    await expect(approveDexDevice(url, userCode, testUser('admin').email, 'nope')).rejects.toThrow(/HTTP 401/)
  })
})
