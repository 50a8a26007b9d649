/** `prismctl proxy status`: what the proxy says about itself (ProxyInfo) and its grpc.health.v1 status. */
import {timestampDate} from '@bufbuild/protobuf/wkt'

import {Health, HealthCheckResponse_ServingStatus} from '../gen/grpc/health/v1/health_pb.js'
import {ProxyInfo, SyncState} from '../gen/prism/proxy/v1/proxy_pb.js'
import {renderTable} from '../ui/table.js'
import {withProxy, type ProxyConnectionOptions} from './connection.js'

export interface ProxyStatusReport {
  endpoint: string
  serving: boolean
  proxyId: string
  version: string
  uptimeSeconds: number
  adminEndpoint: string
  sync: string
  lastSyncedAt?: string
  authEnabled: boolean
  namespaces: {name: string; patterns: string[]}[]
  /** One per connection: a backend bound with a slot binding's own credentials has one per Vault path besides its own. */
  backends: {name: string; type: string; state: string; error?: string; bindingCredentials?: string}[]
}

export async function proxyStatus(options: ProxyConnectionOptions): Promise<ProxyStatusReport> {
  return withProxy(options, async (p) => {
    const [health, info] = await Promise.all([p.call(Health, 'check', {service: ''}), p.call(ProxyInfo, 'getInfo', {})])
    return {
      endpoint: p.endpoint,
      serving: health.status === HealthCheckResponse_ServingStatus.SERVING,
      proxyId: info.proxyId,
      version: info.version,
      uptimeSeconds: Number(info.uptimeSeconds),
      adminEndpoint: info.adminEndpoint,
      sync: (SyncState[info.syncState] ?? 'UNSPECIFIED').toLowerCase(),
      lastSyncedAt: info.lastSyncedAt ? timestampDate(info.lastSyncedAt).toISOString() : undefined,
      authEnabled: info.authEnabled,
      namespaces: info.namespaces.map((n) => ({name: n.name, patterns: [...n.patterns]})),
      backends: info.backends.map((b) => ({name: b.name, type: b.type, state: b.state, ...(b.error ? {error: b.error} : {}), ...(b.bindingCredentials ? {bindingCredentials: b.bindingCredentials} : {})})),
    }
  })
}

export function renderProxyStatus(s: ProxyStatusReport): string {
  const lines = [
    `proxy:          ${s.proxyId} (${s.version}) at ${s.endpoint}, up ${s.uptimeSeconds}s`,
    `health:         ${s.serving ? 'SERVING' : 'NOT_SERVING'}`,
    `control plane:  ${s.adminEndpoint}, ${s.sync}${s.lastSyncedAt ? ` (last synced ${s.lastSyncedAt})` : ''}`,
    `auth:           ${s.authEnabled ? 'tokens verified' : 'none (anyone may call)'}`,
    `namespaces:     ${s.namespaces.length}`,
  ]
  if (s.backends.length > 0) {
    // The column appears when some connection uses a slot binding's own credentials (the backend is listed once per set).
    const perBinding = s.backends.some((b) => b.bindingCredentials)
    const head = perBinding ? ['BACKEND', 'BINDING CREDENTIALS', 'TYPE', 'STATE', 'ERROR'] : ['BACKEND', 'TYPE', 'STATE', 'ERROR']
    lines.push('', renderTable(head, s.backends.map((b) => [b.name, ...(perBinding ? [b.bindingCredentials ?? ''] : []), b.type, b.state, b.error ?? ''])))
  }
  return lines.join('\n')
}
