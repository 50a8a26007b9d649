/** Flags shared by the data commands (kv, publish, consume, proxy status). */
import {Args, Flags} from '@oclif/core'

import type {ProxyConnectionOptions} from '../data/connection.js'
import {insecurePlaintextFlag} from './plaintext-flag.js'

export const proxyFlags = {
  'proxy-endpoint': Flags.string({description: 'Proxy host:port (default: PRISM_PROXY_ENDPOINT, then the context, then 127.0.0.1:50090)'}),
  timeout: Flags.string({description: 'Deadline per call, e.g. 10s, 500ms, 2m', default: '10s'}),
  'insecure-plaintext': insecurePlaintextFlag,
}

export const patternFlag = Flags.string({description: 'Which pattern serves the call, when the namespace has several of its kind'})

export const namespaceArg = Args.string({required: true, description: 'Namespace'})

type ProxyConnectionFlags = {context?: string; 'proxy-endpoint'?: string; timeout?: string; 'insecure-plaintext'?: boolean}

export function proxyConnectionOf(flags: ProxyConnectionFlags): ProxyConnectionOptions {
  return {context: flags.context, proxyEndpoint: flags['proxy-endpoint'], timeout: flags.timeout, insecurePlaintext: flags['insecure-plaintext']}
}

export function kvTargetOf(namespace: string, flags: ProxyConnectionFlags & {pattern?: string}) {
  return {...proxyConnectionOf(flags), namespace, pattern: flags.pattern}
}
