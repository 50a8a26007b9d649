/**
 * The data proxy: follows the control plane into a routing table, serves the pattern APIs over gRPC against the
 * backends the table names, renews its lease so namespaces show ACTIVE, and exposes metrics and health.
 * Stateless: every proxy can serve every namespace, so any number of them can run behind a gRPC load balancer.
 */
import type * as grpc from '@grpc/grpc-js'
import {create} from '@bufbuild/protobuf'
import {timestampFromDate} from '@bufbuild/protobuf/wkt'

import type {AdminClient} from '../api/admin-client.js'
import {splitListen} from '../api/listen.js'
import {statusMapper} from '../api/grpc-status.js'
import {addService, routeGrpcLogs, shutdownGracefully, type ServiceHandlers} from '../api/grpc-service.js'
import {addReflection} from '../api/reflection.js'
import {DEFAULT_TRANSPORT_LIMITS, listenGrpc, transportServerOptions, type ServerTls, type TransportLimits} from '../api/server-transport.js'
import type {Authenticator} from '../controlplane/authn.js'
import {isPrismError, PrismError} from '../errors.js'
import {Health, HealthCheckResponse_ServingStatus, HealthCheckResponseSchema} from '../gen/grpc/health/v1/health_pb.js'
import {KeyValuePattern} from '../gen/prism/patterns/v1/keyvalue_pb.js'
import {MailboxPattern} from '../gen/prism/patterns/v1/mailbox_pb.js'
import {ConsumerPattern, ProducerPattern} from '../gen/prism/patterns/v1/messaging_pb.js'
import {SessionStorePattern} from '../gen/prism/patterns/v1/session_store_pb.js'
import {ProxyInfo, SyncState as SyncStateProto} from '../gen/prism/proxy/v1/proxy_pb.js'
import {BackendPool} from './backends.js'
import {credentialResolver} from './credentials.js'
import type {VaultClient} from './vault.js'
import {ControlPlaneFollower, type SyncState} from './follower.js'
import {keyValueHandlers} from './keyvalue-service.js'
import {leaseKeeper} from './lease.js'
import {LIMITS} from './limits.js'
import {MailboxIngest} from './mailbox/ingest.js'
import {mailboxHandlers} from './mailbox/service.js'
import {consumerHandlers, producerHandlers, type OpenStreams} from './messaging-service.js'
import {createMetrics, serveMetrics, type ProxyMetrics} from './metrics.js'
import {backendTypeName, createRouter, header, NAMESPACE_HEADER} from './router.js'
import {RoutingTable} from './routing.js'
import {SessionManager} from './sessions/manager.js'
import {sessionStoreHandlers} from './sessions/service.js'

export interface ProxyOptions {
  admin: AdminClient
  authenticator: Authenticator
  /** host:port for gRPC; port 0 picks a free one. */
  listen: string
  metricsListen: string
  proxyId: string
  version: string
  log: (line: string) => void
  /** Lease lifetime; renewed every third of it. */
  leaseTtlSeconds?: number
  /** Where backends' Vault-held credentials are read; absent: such backends cannot connect. */
  vault?: VaultClient
  /** Serve TLS (mutual with clientCaFile); plaintext when absent. */
  tls?: ServerTls
  /** Connections, streams, request deadline, keepalive; DEFAULT_TRANSPORT_LIMITS by default. */
  transportLimits?: Partial<TransportLimits>
}

export interface RunningProxy {
  address: string
  metricsAddress: string
  /** Ends streams, releases the lease, waits up to graceMs for calls in flight, closes backend connections. */
  shutdown(graceMs?: number): Promise<void>
}

const SYNC_PROTO: Record<SyncState, SyncStateProto> = {connecting: SyncStateProto.CONNECTING, synced: SyncStateProto.SYNCED, disconnected: SyncStateProto.DISCONNECTED}

export async function createProxyServer(options: ProxyOptions): Promise<RunningProxy> {
  // Both addresses are checked before anything starts: a bad one is a usage error, with nothing to undo.
  splitListen(options.listen, '--listen')
  splitListen(options.metricsListen, '--metrics-listen')
  const grpcModule = await import('@grpc/grpc-js')
  routeGrpcLogs(grpcModule)
  const {log} = options
  const startedAt = new Date()
  const metrics = await createMetrics()
  const pool = new BackendPool(log, credentialResolver(options.vault))
  let table = RoutingTable.empty()
  let everSynced = false
  let stopping = false
  const open: OpenStreams = new Set()
  const mailboxes = new MailboxIngest({pool, log})

  const lease = leaseKeeper({...options, ttlSeconds: options.leaseTtlSeconds}, () => [...table.routes.keys()])
  const follower = new ControlPlaneFollower({
    admin: options.admin,
    proxyId: options.proxyId,
    log,
    onTable(next) {
      table = next
      everSynced = true
      pool.sync(next)
      mailboxes.sync(next)
      metrics.setNamespaces(next.routes.size)
      lease.renewSoon()
    },
    onState(state) {
      metrics.setSync(state)
      log(`control plane: ${state}`)
    },
  })
  metrics.setSync('connecting')

  const connections = (backend: string, vaultPath?: string) => pool.get(backend, vaultPath)
  const sessions = new SessionManager({connections, table: () => table, log})
  const router = createRouter({table: () => table, synced: () => everSynced, pool, authenticator: options.authenticator, sessions})
  const toStatus = statusMapper(grpcModule, (err) => log(`internal error: ${(err as Error)?.stack ?? String(err)}`))
  const transportLimits = {...DEFAULT_TRANSPORT_LIMITS, ...options.transportLimits}
  const server = new grpcModule.Server({
    ...transportServerOptions(grpcModule, transportLimits),
    'grpc.max_receive_message_length': LIMITS.messageBytes,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
  })
  const instrument = instrumenter(metrics, () => table)
  addService(server, KeyValuePattern, instrument('keyvalue', keyValueHandlers(router)), toStatus)
  addService(server, ProducerPattern, instrument('producer', producerHandlers(router)), toStatus)
  addService(server, ConsumerPattern, instrument('consumer', consumerHandlers(grpcModule, router, open)), toStatus)
  addService(server, MailboxPattern, instrument('mailbox', mailboxHandlers(router)), toStatus)
  addService(server, SessionStorePattern, instrument('sessions', sessionStoreHandlers({authenticator: options.authenticator, sessions, table: () => table, connections})), toStatus)
  addService(
    server,
    ProxyInfo,
    instrument('info', {
      getInfo: async (_req, call) => {
        await options.authenticator.authenticate(header(call, 'authorization'))
        return {
          proxyId: options.proxyId,
          version: options.version,
          startedAt: timestampFromDate(startedAt),
          uptimeSeconds: BigInt(Math.floor((Date.now() - startedAt.getTime()) / 1000)),
          adminEndpoint: options.admin.endpoint,
          syncState: SYNC_PROTO[follower.state],
          lastSyncedAt: follower.lastSyncedAt ? timestampFromDate(follower.lastSyncedAt) : undefined,
          namespaces: [...table.routes.values()].map((r) => ({name: r.namespace, patterns: r.patterns.map((p) => `${p.name} (${p.type})`)})),
          backends: (await pool.check()).map((b) => ({name: b.name, type: backendTypeName(b.type), state: b.state, error: b.error ?? '', bindingCredentials: b.vaultPath ?? ''})),
          authEnabled: options.authenticator.enabled,
        }
      },
      noop: async (_req, call) => {
        await options.authenticator.authenticate(header(call, 'authorization'))
        return {}
      },
    }),
    toStatus,
  )
  const servingStatus = (service: string) => {
    if (service && ![KeyValuePattern, ProducerPattern, ConsumerPattern, MailboxPattern, SessionStorePattern, ProxyInfo].some((s) => s.typeName === service)) {
      throw new PrismError(`unknown service ${service}`, {code: 'NOT_FOUND'})
    }
    return everSynced && !stopping ? HealthCheckResponse_ServingStatus.SERVING : HealthCheckResponse_ServingStatus.NOT_SERVING
  }
  const health: ServiceHandlers<(typeof Health)['method']> = {
    check: async (req) => ({status: servingStatus(req.service)}),
    // The current status, then the stream stays open until the client leaves (or the proxy stops).
    watch: async (req, call) => {
      call.write(create(HealthCheckResponseSchema, {status: servingStatus(req.service)}))
      await new Promise<void>((resolve) => {
        const closer = {close: async () => resolve()}
        open.add(closer)
        call.once('cancelled', () => {
          open.delete(closer)
          resolve()
        })
      })
    },
  }
  addService(server, Health, health, toStatus)
  addReflection(server, [KeyValuePattern, ProducerPattern, ConsumerPattern, MailboxPattern, SessionStorePattern, ProxyInfo, Health])

  const listener = await listenGrpc(grpcModule, server, {listen: options.listen, tls: options.tls, limits: transportLimits, log}).catch(async (err: unknown) => {
    // The follower already runs: left alone, it would keep the process alive after the error.
    await follower.stop()
    await mailboxes.close()
    throw err
  })
  let metricsServer
  try {
    metricsServer = await serveMetrics(options.metricsListen, metrics, async () => {
      const reasons: string[] = []
      if (!everSynced) reasons.push(`not yet synchronised with the control plane at ${options.admin.endpoint}`)
      const backends = await pool.check()
      metrics.setBackends(backends)
      for (const b of backends) {
        if (b.state === 'connected') continue
        const who = `backend ${b.name}${b.vaultPath ? ` (binding credentials ${b.vaultPath})` : ''}`
        // Driver and credential errors name the backend already.
        const named = `backend ${b.name}: `
        const why = b.error ?? b.state
        reasons.push(`${who}: ${why.startsWith(named) ? why.slice(named.length) : why}`)
      }
      return {ready: reasons.length === 0, reasons}
    })
  } catch (err) {
    listener.stopAccepting()
    server.forceShutdown()
    listener.destroy()
    await follower.stop()
    await mailboxes.close()
    throw err
  }

  // Without tokens (--auth none) no session is ever kept, so there is nothing to sweep.
  if (options.authenticator.enabled) sessions.start()
  return {
    address: listener.address,
    metricsAddress: metricsServer.address,
    async shutdown(graceMs = 10_000) {
      if (stopping) return
      stopping = true
      sessions.stop()
      await Promise.all([...open].map((s) => s.close()))
      await lease.release()
      await follower.stop()
      listener.stopAccepting()
      await shutdownGracefully(server, graceMs)
      listener.destroy()
      metricsServer.server.close()
      await mailboxes.close()
      await pool.close()
      options.admin.close()
    },
  }
}

type Handler = (request: unknown, call: {metadata: grpc.Metadata}) => Promise<unknown>

/** Wraps every handler of a service so that each call is counted and timed, by namespace, API, method and code. */
function instrumenter(metrics: ProxyMetrics, table: () => RoutingTable) {
  return <H extends object>(api: string, handlers: H): H => {
    const wrapped: Record<string, Handler> = {}
    for (const [method, handler] of Object.entries(handlers) as [string, Handler][]) {
      wrapped[method] = async (request, call) => {
        const started = process.hrtime.bigint()
        const named = header(call, NAMESPACE_HEADER) ?? ''
        // Only namespaces that exist become label values: callers cannot blow up the metric's cardinality.
        const namespace = table().routes.has(named) ? named : named ? '(unknown)' : ''
        let code = 'OK'
        try {
          return await handler(request, call)
        } catch (err) {
          code = isPrismError(err) ? err.code : 'INTERNAL'
          throw err
        } finally {
          metrics.observe(namespace, api, method, code, Number(process.hrtime.bigint() - started) / 1e9)
        }
      }
    }
    return wrapped as H
  }
}

