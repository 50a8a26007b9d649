import {describe, expect, it} from 'vitest'

import {checkMessage, checkTopic} from './limits.js'

const bytes = new Uint8Array([1])

describe('message limits', () => {
  it('refuses metadata values with NUL (PostgreSQL could never store them in a mailbox), naming the key', () => {
    expect(() => checkMessage('orders', bytes, {'prism-correlation-id': 'a\u0000'})).toThrow(expect.objectContaining({code: 'INVALID_ARGUMENT', message: expect.stringContaining('prism-correlation-id contains a NUL')}))
    expect(() => checkMessage('orders', bytes, {'prism-correlation-id': 'a-1'})).not.toThrow()
  })

  it('keeps the _prism. topics for the proxy: no caller can forge a session event', () => {
    expect(() => checkTopic('_prism.session.ended')).toThrow(expect.objectContaining({code: 'INVALID_ARGUMENT', message: expect.stringContaining('reserved')}))
    expect(() => checkTopic('session.ended')).not.toThrow()
    expect(() => checkTopic('_private')).not.toThrow()
  })
})
