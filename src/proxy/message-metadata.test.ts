import {describe, expect, it} from 'vitest'

import type {Principal} from '../controlplane/authn.js'
import {stampMetadata} from './message-metadata.js'

const bob: Principal = {name: 'bob@example.test', subject: 'bob', groups: [], roles: []}

describe('stampMetadata', () => {
  it('sets the verified principal and the namespace over whatever the caller sent, in any letter case', () => {
    expect(stampMetadata({'prism-principal': 'mallory', 'Prism-Namespace': 'elsewhere', 'PRISM-PRINCIPAL': 'eve', 'x-sequence': '1'}, bob, 'team-alpha')).toEqual({
      'x-sequence': '1',
      'prism-principal': 'bob@example.test',
      'prism-namespace': 'team-alpha',
    })
  })

  it("keeps the publisher's descriptive keys and its own keys", () => {
    const md = {'prism-content-type': 'application/json', 'prism-correlation-id': 'c1', 'prism-schema-id': 's1', 'prism-encryption': 'aes-256-gcm', trace: 't'}
    expect(stampMetadata(md, bob, 'team-alpha')).toEqual({...md, 'prism-principal': 'bob@example.test', 'prism-namespace': 'team-alpha'})
  })

  it('refuses any other prism- key, naming it', () => {
    expect(() => stampMetadata({'prism-timestamp': '0'}, bob, 'team-alpha')).toThrow(expect.objectContaining({code: 'INVALID_ARGUMENT', message: 'metadata key prism-timestamp is reserved for Prism'}))
  })
})
