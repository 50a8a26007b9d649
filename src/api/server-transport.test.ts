import {describe, expect, it} from 'vitest'

import {splitListen} from './listen.js'
import {tlsOf, transportNote} from './server-transport.js'

describe('server TLS flags', () => {
  it('are plaintext without any, TLS with a certificate and its key, mutual TLS with --client-ca', () => {
    expect(tlsOf({})).toBeUndefined()
    expect(tlsOf({'tls-cert': 'c.pem', 'tls-key': 'k.pem'})).toEqual({certFile: 'c.pem', keyFile: 'k.pem', clientCaFile: undefined})
    expect(transportNote(tlsOf({'tls-cert': 'c.pem', 'tls-key': 'k.pem', 'client-ca': 'ca.pem'}))).toBe(' (mutual TLS)')
    expect(transportNote(undefined)).toBe('')
  })

  it('refuses half a pair, and --client-ca without TLS, as usage errors', () => {
    expect(() => tlsOf({'tls-cert': 'c.pem'})).toThrow(expect.objectContaining({message: '--tls-cert and --tls-key go together', exitCode: 2}))
    expect(() => tlsOf({'tls-key': 'k.pem'})).toThrow(expect.objectContaining({message: '--tls-cert and --tls-key go together'}))
    expect(() => tlsOf({'client-ca': 'ca.pem'})).toThrow(expect.objectContaining({message: '--client-ca needs --tls-cert and --tls-key', exitCode: 2}))
  })
})

describe('splitListen', () => {
  it('takes HOST:PORT and [IPv6]:PORT, and nothing else', () => {
    expect(splitListen('127.0.0.1:0', '--listen')).toEqual(['127.0.0.1', 0])
    expect(splitListen('[::1]:8981', '--listen')).toEqual(['::1', 8981])
    for (const bad of ['8981', ':8981', 'host:', 'host:70000', 'host:x']) expect(() => splitListen(bad, '--listen'), bad).toThrow(/--listen must be HOST:PORT/)
  })
})
