import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {compareSync, getRounds} from 'bcryptjs'
import {beforeAll, describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {devPasswordHash, dexConfig, goDurationSeconds, readDexConfig, renderDexConfig} from './dex-config.js'
import {TEST_USERS} from './test-users.js'

/**
 * Contract test: the rendered file against Dex's documented config (cmd/dex/config.go and storage/storage.go at
 * v2.45.1, summarised in reference/stack-images.md §1.4–1.7). Real Dex cannot be pulled here, so every key we emit
 * must be one Dex reads, with a value Dex accepts.
 */
const DEX_FIELDS = {
  top: ['issuer', 'storage', 'web', 'telemetry', 'oauth2', 'grpc', 'expiry', 'logger', 'frontend', 'connectors', 'staticClients', 'enablePasswordDB', 'staticPasswords'],
  storageTypes: ['memory', 'sqlite3', 'postgres', 'mysql', 'etcd', 'kubernetes'],
  web: ['http', 'https', 'tlsCert', 'tlsKey', 'allowedOrigins', 'allowedHeaders', 'headers', 'clientRemoteIP'],
  logger: ['level', 'format'],
  expiry: ['signingKeys', 'idTokens', 'authRequests', 'deviceRequests', 'refreshTokens'],
  refreshTokens: ['disableRotation', 'reuseInterval', 'validIfNotUsedFor', 'absoluteLifetime'],
  oauth2: ['grantTypes', 'responseTypes', 'skipApprovalScreen', 'alwaysShowLoginScreen', 'passwordConnector'],
  grantTypes: ['authorization_code', 'refresh_token', 'password', 'implicit', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:token-exchange'],
  responseTypes: ['code', 'id_token', 'token'],
  staticClient: ['id', 'idEnv', 'secret', 'secretEnv', 'redirectURIs', 'trustedPeers', 'public', 'name', 'logoURL'],
  staticPassword: ['email', 'hash', 'hashFromEnv', 'username', 'userID', 'groups', 'name', 'preferredUsername', 'emailVerified'],
}

function keysOf(value: unknown): string[] {
  return Object.keys(value as object)
}

describe('Dex config contract test (rendered file vs Dex documented fields)', () => {
  let rendered: Record<string, any>
  beforeAll(async () => {
    rendered = parse(await renderDexConfig()) as Record<string, any>
  })

  it('uses only documented fields, with documented values', () => {
    expect(DEX_FIELDS.top).toEqual(expect.arrayContaining(keysOf(rendered)))
    expect(DEX_FIELDS.storageTypes).toContain(rendered.storage.type)
    expect(DEX_FIELDS.web).toEqual(expect.arrayContaining(keysOf(rendered.web)))
    expect(DEX_FIELDS.logger).toEqual(expect.arrayContaining(keysOf(rendered.logger)))
    expect(DEX_FIELDS.expiry).toEqual(expect.arrayContaining(keysOf(rendered.expiry)))
    expect(DEX_FIELDS.refreshTokens).toEqual(expect.arrayContaining(keysOf(rendered.expiry.refreshTokens)))
    expect(DEX_FIELDS.oauth2).toEqual(expect.arrayContaining(keysOf(rendered.oauth2)))
    expect(DEX_FIELDS.grantTypes).toEqual(expect.arrayContaining(rendered.oauth2.grantTypes))
    for (const t of rendered.oauth2.responseTypes as string[]) expect(t.split(' ').every((p) => DEX_FIELDS.responseTypes.includes(p))).toBe(true)
    for (const c of rendered.staticClients) expect(DEX_FIELDS.staticClient).toEqual(expect.arrayContaining(keysOf(c)))
    for (const u of rendered.staticPasswords) expect(DEX_FIELDS.staticPassword).toEqual(expect.arrayContaining(keysOf(u)))
  })

  it('has what Dex requires: issuer without trailing slash, storage, web.http, password DB for static users', () => {
    expect(rendered.issuer).toBe('http://localhost:5556/dex')
    expect(rendered.web.http).toBe('0.0.0.0:5556')
    expect(rendered.enablePasswordDB).toBe(true)
    // The password grant exists in Dex only with a password connector; refresh needs its grant type listed.
    expect(rendered.oauth2.passwordConnector).toBe('local')
    expect(rendered.oauth2.grantTypes).toEqual(expect.arrayContaining(['urn:ietf:params:oauth:grant-type:device_code', 'password', 'refresh_token']))
    // Durations parse as Go durations.
    for (const d of [rendered.expiry.deviceRequests, rendered.expiry.idTokens, rendered.expiry.refreshTokens.validIfNotUsedFor]) expect(goDurationSeconds(d, 0)).toBeGreaterThan(0)
  })

  it('declares a public prismctl client without redirect URIs, so the device callback works under /dex', () => {
    expect(rendered.staticClients).toEqual([{id: 'prismctl', name: 'Prism CLI', public: true}])
  })

  it('has one user per role in the groups of the default role map, with $2a$10$ hashes that verify', () => {
    expect(rendered.staticPasswords.map((u: any) => u.groups)).toEqual([['admins'], ['platform-team'], ['viewers'], ['proxies']])
    for (const [i, user] of TEST_USERS.entries()) {
      const entry = rendered.staticPasswords[i]
      expect(entry).toMatchObject({email: user.email, username: user.username, userID: user.userID})
      expect(entry.hash).toMatch(/^\$2a\$10\$[./A-Za-z0-9]{53}$/)
      expect(getRounds(entry.hash)).toBe(10)
      expect(compareSync(user.password, entry.hash)).toBe(true)
      expect(compareSync(`${user.password}x`, entry.hash)).toBe(false)
    }
  })

  it('has each test user\'s hash written down as devPasswordHash makes it (rendering needs no bcrypt), and hashes users without one', async () => {
    for (const user of TEST_USERS) expect(user.passwordHash, user.username).toBe(await devPasswordHash(user))
    const {passwordHash: _, ...bare} = TEST_USERS[0]!
    const [entry] = (await dexConfig({users: [bare]})).staticPasswords!
    expect(entry!.hash).toBe(TEST_USERS[0]!.passwordHash)
  })

  it('contains no gomplate syntax (the Dex image templates the file) and renders the same bytes every time (stable settings hash)', async () => {
    const text = await renderDexConfig()
    expect(text).not.toContain('{{')
    expect(await renderDexConfig()).toBe(text)
  })
})

describe('readDexConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dex-config-'))
  const write = (name: string, text: string) => {
    const path = join(dir, name)
    writeFileSync(path, text)
    return path
  }

  it('reads back what was rendered', async () => {
    const path = write('ok.yaml', await renderDexConfig({issuer: 'http://localhost:6000/dex', listen: '127.0.0.1:6000'}))
    expect(readDexConfig(path)).toEqual(await dexConfig({issuer: 'http://localhost:6000/dex', listen: '127.0.0.1:6000'}))
  })

  it('applies Dex validation: static passwords need the password DB, a confidential client a secret', async () => {
    const base = await dexConfig()
    expect(() => readDexConfig(write('a.yaml', JSON.stringify({...base, enablePasswordDB: false})))).toThrow(/enablePasswordDB/)
    expect(() => readDexConfig(write('b.yaml', JSON.stringify({...base, staticClients: [{id: 'x'}]})))).toThrow(/secret or public/)
    expect(() => readDexConfig(write('c.yaml', JSON.stringify({...base, issuer: ''})))).toThrow(/issuer is required/)
  })

  it('names the line of a YAML mistake without showing it (it may hold a client secret)', () => {
    const path = write('broken.yaml', 'issuer: http://localhost:5556/dex\nstaticClients:\n- id: prismctl\n  secret: DEX_CLIENT_SECRET_XYZ: oops\n')
    expect(() => readDexConfig(path)).toThrow(/^cannot read the Dex config .*broken\.yaml: .* at line 4, column 11$/)
    expect(() => readDexConfig(path)).not.toThrow(/DEX_CLIENT_SECRET_XYZ/)
  })

  it('parses Go durations', () => {
    expect(goDurationSeconds('1h30m', 0)).toBe(5400)
    expect(goDurationSeconds(undefined, 7)).toBe(7)
    expect(() => goDurationSeconds('5 minutes', 0)).toThrow(/Go duration/)
  })
})
