/**
 * In-process control planes for tests over real gRPC on 127.0.0.1: store URLs on both engines, an authenticator whose
 * tokens are role names, clients, the gRPC failure a call ended with (code, field violations, preconditions), and
 * small resources to register.
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {fromBinary, type MessageInitShape} from '@bufbuild/protobuf'
import {anyUnpack} from '@bufbuild/protobuf/wkt'
import * as grpc from '@grpc/grpc-js'

import {createServiceClient, type ServiceClient} from '../../src/api/grpc-service.js'
import {anonymousAuthenticator, type Authenticator, type Principal, type Role} from '../../src/controlplane/authn.js'
import {createServer, type RunningServer, type ServerOptions} from '../../src/controlplane/server.js'
import {openStore} from '../../src/controlplane/store.js'
import {PrismError} from '../../src/errors.js'
import {BadRequestSchema, PreconditionFailureSchema} from '../../src/gen/google/rpc/error_details_pb.js'
import {StatusSchema} from '../../src/gen/google/rpc/status_pb.js'
import {ControlPlane} from '../../src/gen/prism/admin/v1/control_plane_pb.js'
import {BackendType, type BackendSchema, type NamespaceSchema} from '../../src/gen/prism/admin/v1/resources_pb.js'
import {startPostgres, type TestPostgres} from './postgres.js'

export type Client = ServiceClient<(typeof ControlPlane)['method']>
export type NamespaceInit = MessageInitShape<typeof NamespaceSchema>
export type BackendInit = MessageInitShape<typeof BackendSchema>
export type Engine = 'sqlite' | 'postgres'

/** Fresh store URLs: SQLite files in a temp dir, databases on one throwaway PostgreSQL server (started on first use). */
export interface StoreUrls {
  fresh(engine: Engine): Promise<string>
  /** The PostgreSQL server (started if it was not yet). */
  postgres(): Promise<TestPostgres>
  cleanup(): Promise<void>
}

export function storeUrls(): StoreUrls {
  const dir = mkdtempSync(join(tmpdir(), 'prism-cp-'))
  let postgres: Promise<TestPostgres> | undefined
  const server = () => (postgres ??= startPostgres())
  return {
    fresh: async (engine) => (engine === 'sqlite' ? `sqlite://${join(dir, `${Math.random().toString(36).slice(2)}.db`)}` : (await server()).createDatabase()),
    postgres: server,
    async cleanup() {
      rmSync(dir, {recursive: true, force: true})
      await (await postgres?.catch(() => undefined))?.stop()
    },
  }
}

/** Tokens are role names: "Bearer operator" is an operator; "Bearer nobody" has no role. */
export const roleAuthenticator: Authenticator = {
  enabled: true,
  async authenticate(authorization) {
    const role = /^Bearer (viewer|operator|admin|proxy|nobody)$/.exec(authorization ?? '')?.[1]
    if (!role) throw new PrismError('unauthenticated: no valid bearer token', {code: 'UNAUTHENTICATED'})
    const principal: Principal = {name: `${role}@example.com`, subject: role, email: `${role}@example.com`, groups: [role], roles: role === 'nobody' ? [] : [role as Role], issuer: 'https://issuer.test'}
    return principal
  },
}

export async function startServer(url: string, authenticator: Authenticator = anonymousAuthenticator, options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const store = await openStore(url)
  return createServer({store, authenticator, listen: '127.0.0.1:0', log: () => {}, ...options})
}

export function clientFor(server: RunningServer, token?: string): Client {
  return createServiceClient(grpc, ControlPlane, {
    endpoint: server.address,
    credentials: grpc.credentials.createInsecure(),
    metadata: (): Record<string, string> => (token ? {authorization: `Bearer ${token}`} : {}),
  })
}

export interface Failure {
  code: string
  message: string
  violations: {field: string; description: string}[]
  preconditions: string[]
}

export async function failure(promise: Promise<unknown>): Promise<Failure> {
  try {
    await promise
  } catch (err) {
    const e = err as grpc.ServiceError
    const raw = e.metadata?.get('grpc-status-details-bin')[0] as Buffer | undefined
    const status = raw ? fromBinary(StatusSchema, raw) : undefined
    const violations: Failure['violations'] = []
    const preconditions: string[] = []
    for (const any of status?.details ?? []) {
      const bad = anyUnpack(any, BadRequestSchema)
      if (bad) violations.push(...bad.fieldViolations.map((v) => ({field: v.field, description: v.description})))
      const pre = anyUnpack(any, PreconditionFailureSchema)
      if (pre) preconditions.push(...pre.violations.map((v) => v.subject))
    }
    return {code: grpc.status[e.code]!, message: e.details, violations, preconditions}
  }
  throw new Error('expected the call to fail')
}

export const redis = (name: string, extra: Partial<BackendInit> = {}): BackendInit => ({name, type: BackendType.REDIS, config: {case: 'redis', value: {address: `${name}:6379`}}, ...extra}) as BackendInit
export const nats = (name: string): BackendInit => ({name, type: BackendType.NATS, config: {case: 'nats', value: {url: `nats://${name}:4222`}}})

export const kvNamespace = (name: string, extra: Partial<NamespaceInit> = {}): NamespaceInit => ({
  name,
  team: 'payments',
  patterns: [{name: 'cache', type: 'keyvalue', requires: [{slot: 'kv-store', target: {case: 'backendType', value: BackendType.REDIS}}]}],
  ...extra,
}) as NamespaceInit

/** JSON of a message, bigints as strings: for "this secret appears nowhere in it" assertions. */
export const jsonOf = (value: unknown): string => JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? String(v) : v))
