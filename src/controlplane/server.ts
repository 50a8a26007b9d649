/**
 * The control plane as a gRPC server, startable in-process (tests, benchmarks) or by `prismctl admin serve`:
 * ControlPlane (authentication, RBAC, then ControlPlaneService) and the standard grpc.health.v1 service.
 */
import type * as grpc from '@grpc/grpc-js'
import {create} from '@bufbuild/protobuf'

import {listenError} from '../api/listen.js'
import {statusMapper} from '../api/grpc-status.js'
import {addService, routeGrpcLogs, shutdownGracefully, type ServiceHandlers} from '../api/grpc-service.js'
import {addReflection} from '../api/reflection.js'
import {isPrismError, PrismError} from '../errors.js'
import {ControlPlane} from '../gen/prism/admin/v1/control_plane_pb.js'
import {Health, HealthCheckResponse_ServingStatus, HealthCheckResponseSchema} from '../gen/grpc/health/v1/health_pb.js'
import {hasRole, requireRole, type Authenticator, type Principal, type Role} from './authn.js'
import {ControlPlaneService} from './service.js'
import type {Kind, Store} from './store.js'
import {DEFAULT_WATCH_LIMITS, streamWatch, type WatchLimits} from './watch-stream.js'

export interface ServerOptions {
  store: Store
  authenticator: Authenticator
  /** host:port; port 0 picks a free one. */
  listen: string
  /** Unexpected errors (already reduced to INTERNAL for the client), dropped watchers, the store's change feed. */
  log?: (line: string) => void
  /** What one watcher may hold before it is dropped; DEFAULT_WATCH_LIMITS by default. */
  watchLimits?: Partial<WatchLimits>
}

export interface RunningServer {
  /** host:port actually bound. */
  address: string
  service: ControlPlaneService
  /** Stops accepting calls, ends watches, waits up to graceMs for in-flight calls, then forces; closes the store. */
  shutdown(graceMs?: number): Promise<void>
}

const SERVICE_NAME = ControlPlane.typeName
/** The whole request; a resource's own size limits are in src/model/limits.ts. */
const MAX_MESSAGE_BYTES = 1024 * 1024

/** A unary call or a server stream (Watch): both carry the caller's metadata. */
type Call = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>

export async function createServer(options: ServerOptions): Promise<RunningServer> {
  const grpcModule = await import('@grpc/grpc-js')
  routeGrpcLogs(grpcModule)
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const service = new ControlPlaneService(options.store)
  const watchLimits = {...DEFAULT_WATCH_LIMITS, ...options.watchLimits}
  await service.followReplicas()
  const server = new grpcModule.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
  })
  let stopping = false
  const toStatus = statusMapper(grpcModule, (err) => log(`internal error: ${(err as Error)?.stack ?? String(err)}`))

  async function authenticate(call: Call): Promise<Principal> {
    const header = call.metadata.get('authorization')[0]
    return options.authenticator.authenticate(typeof header === 'string' ? header : header?.toString())
  }

  async function authorize(call: Call, role: Role, action: string): Promise<Principal> {
    const principal = await authenticate(call)
    requireRole(principal, role, action)
    return principal
  }

  /** A write: authorized, and audited when refused for lack of a role. */
  async function authorizeWrite(call: grpc.ServerUnaryCall<unknown, unknown>, role: Role, action: string, kind: Kind, name: string): Promise<Principal> {
    const principal = await authenticate(call)
    try {
      requireRole(principal, role, action)
    } catch (err) {
      if (isPrismError(err)) await service.auditRefusal(principal, action, kind, name, err).catch(() => {})
      throw err
    }
    return principal
  }

  const handlers: ServiceHandlers<(typeof ControlPlane)['method']> = {
    createNamespace: async (req, call) => {
      const principal = await authorizeWrite(call, 'operator', 'CreateNamespace', 'namespace', req.namespace?.name ?? '')
      return {namespace: await service.createNamespace(principal, req.namespace, req.dryRun)}
    },
    applyNamespace: async (req, call) => {
      const principal = await authorizeWrite(call, 'operator', 'ApplyNamespace', 'namespace', req.namespace?.name ?? '')
      return service.applyNamespace(principal, req)
    },
    getNamespace: async (req, call) => {
      await authorize(call, 'viewer', 'GetNamespace')
      return service.getNamespace(req.name)
    },
    listNamespaces: async (req, call) => {
      await authorize(call, 'viewer', 'ListNamespaces')
      return service.listNamespaces(req)
    },
    deleteNamespace: async (req, call) => {
      const principal = await authorizeWrite(call, 'admin', 'DeleteNamespace', 'namespace', req.name)
      return {namespace: await service.deleteNamespace(principal, req)}
    },
    registerBackend: async (req, call) => {
      const principal = await authorizeWrite(call, 'operator', 'RegisterBackend', 'backend', req.backend?.name ?? '')
      return {backend: await service.registerBackend(principal, req.backend, req.dryRun)}
    },
    updateBackend: async (req, call) => {
      const principal = await authorizeWrite(call, 'operator', 'UpdateBackend', 'backend', req.backend?.name ?? '')
      return {backend: await service.updateBackend(principal, req)}
    },
    applyBackend: async (req, call) => {
      const principal = await authorizeWrite(call, 'operator', 'ApplyBackend', 'backend', req.backend?.name ?? '')
      return service.applyBackend(principal, req)
    },
    getBackend: async (req, call) => {
      await authorize(call, 'viewer', 'GetBackend')
      return service.getBackend(req.name)
    },
    listBackends: async (req, call) => {
      await authorize(call, 'viewer', 'ListBackends')
      return service.listBackends(req)
    },
    deleteBackend: async (req, call) => {
      const principal = await authorizeWrite(call, 'admin', 'DeleteBackend', 'backend', req.name)
      return {backend: await service.deleteBackend(principal, req)}
    },
    whoAmI: async (_req, call) => {
      const p = await authorize(call, 'viewer', 'WhoAmI')
      return {principal: p.name, subject: p.subject, email: p.email ?? '', groups: p.groups, roles: p.roles, issuer: p.issuer ?? '', authEnabled: options.authenticator.enabled}
    },
    listAuditEvents: async (req, call) => {
      await authorize(call, 'admin', 'ListAuditEvents')
      return service.listAuditEvents(req)
    },
    // Not resource mutations: not audited.
    renewProxyLease: async (req, call) => {
      await authorize(call, 'proxy', 'RenewProxyLease')
      return service.renewProxyLease(req)
    },
    releaseProxyLease: async (req, call) => {
      await authorize(call, 'proxy', 'ReleaseProxyLease')
      await service.releaseProxyLease(req.proxyId)
      return {}
    },
    echo: async (req, call) => {
      await authorize(call, 'viewer', 'Echo')
      return {message: req.message}
    },
    watch: async (req, call) => {
      const principal = await authorize(call, 'viewer', 'Watch')
      if (stopping) return
      const who = `${principal.name}${req.proxyId ? ` (proxy ${req.proxyId.slice(0, 128)})` : ''} at ${call.getPeer()}`
      await streamWatch(service, call, {clear: hasRole(principal, 'proxy'), limits: watchLimits, who, log})
    },
  }
  addService(server, ControlPlane, handlers, toStatus)
  addReflection(server, [ControlPlane, Health])

  // NOT_SERVING while stopping, and while a shared store's change feed is down (the store is unreachable).
  const healthWatchers = new Set<{update(): void; stop(): void}>()
  const servingStatus = (name: string) =>
    name === '' || name === SERVICE_NAME
      ? stopping || !service.changeFeedUp
        ? HealthCheckResponse_ServingStatus.NOT_SERVING
        : HealthCheckResponse_ServingStatus.SERVING
      : HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN
  service.events.on('resync', (reason: string) => log(`store change feed lost (${reason}): open watches end, NOT_SERVING until it is back`))
  service.events.on('health', () => {
    if (service.changeFeedUp) log('store change feed restored: SERVING')
    for (const watcher of healthWatchers) watcher.update()
  })
  addService(
    server,
    Health,
    {
      check: async (req) => {
        const status = servingStatus(req.service)
        if (status === HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN) throw new PrismError(`unknown service ${req.service}`, {code: 'NOT_FOUND'})
        return {status}
      },
      watch: async (req, call) => {
        let sent = servingStatus(req.service)
        call.write(create(HealthCheckResponseSchema, {status: sent}))
        await new Promise<void>((resolve) => {
          const watcher = {
            update() {
              const status = servingStatus(req.service)
              if (status !== sent) call.write(create(HealthCheckResponseSchema, {status: (sent = status)}))
            },
            stop() {
              watcher.update()
              done()
            },
          }
          const done = () => {
            healthWatchers.delete(watcher)
            resolve()
          }
          healthWatchers.add(watcher)
          call.on('cancelled', done)
        })
      },
    },
    toStatus,
  )

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(options.listen, grpcModule.ServerCredentials.createInsecure(), (err, bound) => {
      if (err) {
        reject(listenError(options.listen, '--listen', err))
      } else resolve(bound)
    })
  })
  const host = options.listen.slice(0, options.listen.lastIndexOf(':'))

  return {
    address: `${host}:${port}`,
    service,
    async shutdown(graceMs = 10_000) {
      if (stopping) return
      stopping = true
      for (const watcher of [...healthWatchers]) watcher.stop()
      service.events.emit('close')
      await shutdownGracefully(server, graceMs)
      await options.store.close()
    },
  }
}
