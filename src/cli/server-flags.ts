/** Flags `admin serve` and `proxy serve` share: TLS and the transport limits (src/api/server-transport.ts). */
import {Flags} from '@oclif/core'

import {DEFAULT_TRANSPORT_LIMITS, tlsOf, type ServerTls, type TransportLimits} from '../api/server-transport.js'
import {parseDuration} from '../config/duration.js'

const d = DEFAULT_TRANSPORT_LIMITS

export const serverTransportFlags = {
  'tls-cert': Flags.string({description: 'Serve TLS with this certificate (PEM, chain first); needs --tls-key', helpGroup: 'TRANSPORT'}),
  'tls-key': Flags.string({description: 'Private key (PEM) of --tls-cert', helpGroup: 'TRANSPORT'}),
  'client-ca': Flags.string({description: 'Mutual TLS: require client certificates signed by this CA (PEM)', helpGroup: 'TRANSPORT'}),
  'max-connections': Flags.integer({description: 'Open connections at most; more are closed on accept', default: d.maxConnections, min: 1, helpGroup: 'TRANSPORT'}),
  'max-streams': Flags.integer({description: 'Calls in flight per connection at most (HTTP/2 MAX_CONCURRENT_STREAMS)', default: d.maxConcurrentStreams, min: 1, helpGroup: 'TRANSPORT'}),
  'request-timeout': Flags.string({description: 'A call whose request has not fully arrived by then ends with DEADLINE_EXCEEDED', default: `${d.requestTimeoutMs / 1000}s`, helpGroup: 'TRANSPORT'}),
}

export function serverTransportOf(flags: {'tls-cert'?: string; 'tls-key'?: string; 'client-ca'?: string; 'max-connections': number; 'max-streams': number; 'request-timeout': string}): {
  tls?: ServerTls
  transportLimits: Partial<TransportLimits>
} {
  return {
    tls: tlsOf(flags),
    transportLimits: {maxConnections: flags['max-connections'], maxConcurrentStreams: flags['max-streams'], requestTimeoutMs: parseDuration(flags['request-timeout'], '--request-timeout')},
  }
}
