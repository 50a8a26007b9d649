/**
 * The Docker stack's services as container specs: pinned images (reference/stack-images.md §9), commands, health
 * checks, ports published on 127.0.0.1, volumes and the files uploaded before start. Pure data, so a spec's hash
 * says whether a running container still matches what `dev up` would create.
 */
import {createHash} from 'node:crypto'

import {usageError} from '../../errors.js'
import {DEFAULTS} from '../../config/contexts.js'
import {testUser} from '../test-users.js'
import {VAULT_ROLE} from './vault-bootstrap.js'

export const SERVICES = ['postgres', 'redis', 'nats', 'kafka', 'dex', 'vault', 'admin', 'proxy'] as const
export type ServiceName = (typeof SERVICES)[number]

export const DEFAULT_IMAGES: Record<Exclude<ServiceName, 'admin' | 'proxy'>, string> = {
  dex: 'ghcr.io/dexidp/dex:v2.45.1',
  vault: 'hashicorp/vault:1.21',
  postgres: 'postgres:16-alpine',
  redis: 'redis:7.4-alpine',
  nats: 'nats:2.12.3-alpine',
  kafka: 'apache/kafka:4.1.1',
}

/** What needs what to start at all. */
export const DEPENDS_ON: Record<ServiceName, ServiceName[]> = {
  postgres: [],
  redis: [],
  nats: [],
  kafka: [],
  dex: [],
  vault: ['dex'],
  admin: ['postgres', 'dex'],
  proxy: ['admin'],
}

/**
 * The order containers are started in: what takes longest to be ready after its start first (PostgreSQL's first
 * initialisation, Kafka's JVM), then the chain the proxy's readiness waits on (issuer, control plane, proxy), then
 * the backends that answer at once.
 */
export const START_ORDER: readonly ServiceName[] = ['postgres', 'kafka', 'dex', 'vault', 'admin', 'proxy', 'redis', 'nats']

/** A service whose readiness proves another's: admin serves only once its store, the stack's PostgreSQL, is open. */
export const READY_IMPLIES: Partial<Record<ServiceName, ServiceName[]>> = {admin: ['postgres']}

/** Host ports (before --port-offset); the backends' only with --expose. */
export const HOST_PORTS = {dex: 5556, vault: 8200, admin: 8981, proxy: 50090, metrics: 50091, postgres: 5432, redis: 6379, nats: 4222, kafka: 9092} as const

/** What tokens say in `iss`, on the host and in containers alike: the issuer as the host reaches it. */
export const issuerFor = (portOffset: number) => `http://localhost:${HOST_PORTS.dex + portOffset}/dex`
/** How containers reach the issuer and its keys: by service name, while tokens keep saying ISSUER. */
export const ISSUER_IN_NETWORK = 'http://dex:5556/dex'
export const VAULT_DEV_ROOT_TOKEN = 'prism-dev-root'
export const POSTGRES = {user: 'prism', password: 'prism-dev', db: 'prism'}

export interface StackSettings {
  stack: string
  services: ServiceName[]
  images: Partial<Record<ServiceName, string>>
  /** The locally built image admin and proxy (and the embedded issuer) run. */
  runtimeImage: string
  oidc: 'dex' | 'embedded'
  portOffset: number
  expose: boolean
  /** Rendered Dex config (container listen address). */
  dexConfig: string
  /** The embedded issuer's signing key (a JWK, JSON), when it runs in Dex's place. */
  issuerSigningKey?: string
}

export interface HealthSpec {
  test: string[]
  intervalMs: number
  timeoutMs: number
  retries: number
  startPeriodMs: number
}

export interface ContainerSpec {
  service: ServiceName
  image: string
  entrypoint?: string[]
  cmd?: string[]
  env: string[]
  /** container port → host port, on 127.0.0.1 */
  ports: {container: number; host: number}[]
  health: HealthSpec
  volumes: {name: string; target: string}[]
  files: {path: string; content: string}[]
  capAdd: string[]
  /** CPU weight against the stack's other containers (Docker's default is 1024). */
  cpuShares?: number
}

export function parseServiceList(value: string, flag: string): ServiceName[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean)
  for (const name of names) {
    if (!(SERVICES as readonly string[]).includes(name)) throw usageError(`${flag}: unknown service "${name}"`, `Services: ${SERVICES.join(', ')}.`)
  }
  return names as ServiceName[]
}

/** --services / --without, with dependencies enforced (a missing one is named, never added silently). */
export function selectServices(only: ServiceName[] | undefined, without: ServiceName[]): ServiceName[] {
  const chosen = SERVICES.filter((s) => (only ? only.includes(s) : true) && !without.includes(s))
  for (const service of chosen) {
    for (const need of DEPENDS_ON[service]) {
      if (!chosen.includes(need)) {
        throw usageError(`${service} needs ${need}, which is not selected`, `Add ${need} to --services, or leave ${service} out too (--without ${service}).`)
      }
    }
  }
  if (chosen.length === 0) throw usageError('no services selected', `Services: ${SERVICES.join(', ')}.`)
  return chosen
}

/** Health probes of images that have only node (the runtime image): no wget or curl in Node's slim images. */
function nodeProbe(script: string): string[] {
  return ['CMD', 'node', '-e', script]
}
// node:http rather than fetch, which would load undici in every check.
const httpProbe = (url: string) => nodeProbe(`require('http').get(${JSON.stringify(url)},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))`)
const tcpProbe = (port: number) => nodeProbe(`require('net').connect(${port},'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))`)

// Docker's own checks every 10 s: each is an exec (a process in the container, runc, the shim), ~0.1 s of CPU, and
// at 1 s the six containers of an idle stack kept most of a core busy (7.5 s of CPU in 10 s; now 1.3 s). dev up
// does not wait for them (it runs the checks itself), and dev status runs a check Docker has not run yet.
const quick = (test: string[]): HealthSpec => ({test, intervalMs: 10_000, timeoutMs: 5000, retries: 3, startPeriodMs: 60_000})

/** A Kafka cluster id per stack: 16 bytes, base64url without padding, stable so the spec's hash stays stable. */
function kafkaClusterId(stack: string): string {
  return createHash('sha256').update(`prism-kafka:${stack}`).digest().subarray(0, 16).toString('base64url')
}

export function containerSpec(service: ServiceName, s: StackSettings): ContainerSpec {
  const port = (name: keyof typeof HOST_PORTS) => HOST_PORTS[name] + s.portOffset
  const image = s.images[service] ?? (service === 'admin' || service === 'proxy' || (service === 'dex' && s.oidc === 'embedded') ? s.runtimeImage : DEFAULT_IMAGES[service])
  const base = {service, image, env: [] as string[], ports: [] as ContainerSpec['ports'], volumes: [] as ContainerSpec['volumes'], files: [] as ContainerSpec['files'], capAdd: [] as string[]}
  const exposed = (container: number, host: number) => (s.expose ? [{container, host}] : [])
  const volume = (name: string, target: string) => ({name: `prism-${s.stack}-${name}`, target})
  switch (service) {
    case 'postgres':
      return {
        ...base,
        env: [`POSTGRES_USER=${POSTGRES.user}`, `POSTGRES_PASSWORD=${POSTGRES.password}`, `POSTGRES_DB=${POSTGRES.db}`],
        cmd: ['postgres'],
        ports: exposed(5432, port('postgres')),
        volumes: [volume('postgres', '/var/lib/postgresql/data')],
        // What the stack waits for (first-start initialisation): first in line for the CPU while the other
        // containers start beside it.
        cpuShares: 8192,
        // Over TCP: during first-start initialisation the server listens on the socket only (stack-images §6).
        health: quick(['CMD-SHELL', `pg_isready -h 127.0.0.1 -p 5432 -U ${POSTGRES.user} -d ${POSTGRES.db}`]),
      }
    case 'redis':
      // Protected mode off, as in the official image: other containers reach it on the stack's network only.
      return {...base, cmd: ['redis-server', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], ports: exposed(6379, port('redis')), health: quick(['CMD-SHELL', 'redis-cli -h 127.0.0.1 ping | grep -q PONG'])}
    case 'nats':
      return {
        ...base,
        // An explicit command drops the image's bundled config, so the monitor port is named again (§4).
        cmd: ['nats-server', '-js', '-sd', '/data', '-m', '8222'],
        ports: exposed(4222, port('nats')),
        volumes: [volume('nats', '/data')],
        health: quick(['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8222/healthz?js-enabled-only=true']),
      }
    case 'kafka':
      return {
        ...base,
        env: [
          'KAFKA_NODE_ID=1',
          'KAFKA_PROCESS_ROLES=broker,controller',
          'KAFKA_LISTENERS=PLAINTEXT://0.0.0.0:29092,CONTROLLER://0.0.0.0:29093,PLAINTEXT_HOST://0.0.0.0:9092',
          // Containers use kafka:29092; the host listener advertises the published port, which must be the same.
          `KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://kafka:29092,PLAINTEXT_HOST://localhost:${port('kafka')}`,
          'KAFKA_LISTENER_SECURITY_PROTOCOL_MAP=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,PLAINTEXT_HOST:PLAINTEXT',
          'KAFKA_CONTROLLER_LISTENER_NAMES=CONTROLLER',
          'KAFKA_CONTROLLER_QUORUM_VOTERS=1@localhost:29093',
          'KAFKA_INTER_BROKER_LISTENER_NAME=PLAINTEXT',
          'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR=1',
          'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR=1',
          'KAFKA_TRANSACTION_STATE_LOG_MIN_ISR=1',
          'KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS=0',
          'KAFKA_LOG_DIRS=/var/lib/kafka/data',
          `CLUSTER_ID=${kafkaClusterId(s.stack)}`,
          'KAFKA_HEAP_OPTS=-Xmx512m -Xms512m',
        ],
        ports: exposed(9092, port('kafka')),
        volumes: [volume('kafka', '/var/lib/kafka/data')],
        // Absolute path (not on PATH in the image) and a small heap: the probe inherits the broker's heap options.
        health: {test: ['CMD-SHELL', 'KAFKA_HEAP_OPTS=-Xmx128m /opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:29092 >/dev/null 2>&1'], intervalMs: 5000, timeoutMs: 20_000, retries: 12, startPeriodMs: 20_000},
      }
    case 'dex': {
      const embedded = s.oidc === 'embedded' && !s.images.dex
      const key = embedded && s.issuerSigningKey ? [{path: '/etc/dex/signing-key.json', content: s.issuerSigningKey}] : []
      return {
        ...base,
        cmd: embedded ? ['dev', 'issuer', '--config', '/etc/dex/config.yaml', ...(key.length > 0 ? ['--signing-key', key[0]!.path] : [])] : ['dex', 'serve', '/etc/dex/config.yaml'],
        ports: [{container: 5556, host: port('dex')}],
        files: [{path: '/etc/dex/config.yaml', content: s.dexConfig}, ...key],
        health: quick(embedded ? httpProbe('http://127.0.0.1:5556/dex/healthz') : ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:5556/dex/healthz']),
      }
    }
    case 'vault':
      return {
        ...base,
        cmd: ['server', '-dev'],
        env: [`VAULT_DEV_ROOT_TOKEN_ID=${VAULT_DEV_ROOT_TOKEN}`, 'VAULT_DEV_LISTEN_ADDRESS=0.0.0.0:8200', 'VAULT_ADDR=http://127.0.0.1:8200'],
        ports: [{container: 8200, host: port('vault')}],
        capAdd: ['IPC_LOCK'],
        health: quick(['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8200/v1/sys/health']),
      }
    case 'admin':
      return {
        ...base,
        cmd: ['admin', 'serve', '--listen', '0.0.0.0:8981', '--store', `postgres://${POSTGRES.user}:${POSTGRES.password}@postgres:5432/${POSTGRES.db}`, '--issuer', issuerFor(s.portOffset), '--audience', DEFAULTS.clientId, '--jwks-url', `${ISSUER_IN_NETWORK}/keys`, '--store-wait', '120s'],
        env: ['PRISM_CONFIG_DIR=/tmp/prism'],
        ports: [{container: 8981, host: port('admin')}],
        health: quick(tcpProbe(8981)),
      }
    case 'proxy': {
      const proxy = testUser('proxy')
      return {
        ...base,
        cmd: [
          'proxy', 'serve', '--admin-endpoint', 'admin:8981', '--listen', '0.0.0.0:50090', '--metrics-listen', '0.0.0.0:50091',
          '--issuer', issuerFor(s.portOffset), '--audience', DEFAULTS.clientId, '--jwks-url', `${ISSUER_IN_NETWORK}/keys`,
          '--proxy-id', `${s.stack}-proxy`, '--login', proxy.email, '--login-issuer-url', ISSUER_IN_NETWORK,
          // The proxy's bearer to admin:8981 stays on the stack's own network, which nothing outside this host joins.
          '--insecure-plaintext',
          // Backends' Vault-held credentials, through the JWT role the bootstrap writes.
          ...(s.services.includes('vault') ? ['--vault-addr', 'http://vault:8200', '--vault-role', VAULT_ROLE] : []),
        ],
        // The proxy test user's documented password (README), in the environment rather than on the command line.
        env: ['PRISM_CONFIG_DIR=/tmp/prism', `PRISM_LOGIN_PASSWORD=${proxy.password}`],
        ports: [{container: 50090, host: port('proxy')}, {container: 50091, host: port('metrics')}],
        health: quick(httpProbe('http://127.0.0.1:50091/readyz')),
      }
    }
  }
}

/** Identifies a spec together with the image it would run (a rebuilt image replaces the container). */
export function specHash(spec: ContainerSpec, imageId: string): string {
  return createHash('sha256').update(JSON.stringify({spec, imageId})).digest('hex').slice(0, 16)
}
