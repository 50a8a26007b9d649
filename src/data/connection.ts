/** Where the proxy is (flag > PRISM_PROXY_ENDPOINT > current context > default) and one client per command. */
import {connectProxy, type ProxyClient} from '../api/proxy-client.js'
import {resolveContext} from '../config/contexts.js'
import {parseTimeout} from '../registry/connection.js'

export interface ProxyConnectionOptions {
  context?: string
  proxyEndpoint?: string
  /** Deadline per call, e.g. "10s". */
  timeout?: string
  /** Allow a bearer over plaintext to a non-loopback address. */
  insecurePlaintext?: boolean
}

export async function withProxy<T>(options: ProxyConnectionOptions, fn: (proxy: ProxyClient) => Promise<T>): Promise<T> {
  const ctx = resolveContext({context: options.context, proxyEndpoint: options.proxyEndpoint, insecurePlaintext: options.insecurePlaintext})
  const proxy = await connectProxy(ctx, {timeoutMs: parseTimeout(options.timeout)})
  try {
    return await fn(proxy)
  } finally {
    proxy.close()
  }
}
