import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {endProxySessions, renderSessions, type SessionView} from './sessions.js'

const session: SessionView = {
  id: '0123456789abcdef0123456789abcdef',
  principal: 'alice@example.test',
  subject: 'alice',
  email: 'alice@example.test',
  groups: ['admins'],
  namespace: 'team-alpha',
  startedAt: '2026-12-01T10:00:00.123Z',
  lastSeenAt: '2026-12-01T10:05:00.456Z',
  expiresAt: '2026-12-01T10:35:00.456Z',
  tokenExpiresAt: '2026-12-01T11:00:00.000Z',
}

describe('renderSessions', () => {
  it("shows upstream's columns plus last seen and expiry, to the second", () => {
    expect(renderSessions([session], 'table').split('\n')).toEqual([
      'ID                                 PRINCIPAL            NAMESPACE    STARTED                LAST SEEN              EXPIRES',
      '0123456789abcdef0123456789abcdef   alice@example.test   team-alpha   2026-12-01T10:00:00Z   2026-12-01T10:05:00Z   2026-12-01T10:35:00Z',
    ])
  })

  it('gives lists as {sessions} and one session as itself, in JSON and YAML alike', () => {
    expect(JSON.parse(renderSessions([session], 'json'))).toEqual({sessions: [session]})
    expect(JSON.parse(renderSessions([session], 'json', {single: true}))).toEqual(session)
    expect(parse(renderSessions([session], 'yaml'))).toEqual({sessions: [session]})
    expect(renderSessions([], 'json')).toBe('{\n  "sessions": []\n}')
  })
})

describe('endProxySessions (logout)', () => {
  const configDir = mkdtempSync(join(tmpdir(), 'prismctl-logout-'))
  const env = {PRISM_CONFIG_DIR: configDir, PRISM_PROXY_ENDPOINT: '127.0.0.1:1'}
  afterAll(() => rmSync(configDir, {recursive: true, force: true}))

  it('sends the selected context its token at PRISM_PROXY_ENDPOINT, best effort', async () => {
    const ended = await endProxySessions('default', 'a.b.c', {selected: true, env})
    expect(ended).toMatchObject({endpoint: '127.0.0.1:1', error: expect.any(String)})
  })

  it("never sends another context's token there (logout --all): only to that context's own proxyEndpoint", async () => {
    expect(await endProxySessions('prod', 'a.b.c', {selected: false, env})).toBeUndefined()
  })
})
