import {describe, expect, it} from 'vitest'

import {backendsOf, DOCKER_BACKENDS, dockerBackend} from '../default-backends.js'
import {chosenServices, imageOverrides} from './options.js'
import {containerSpec, DEFAULT_IMAGES, SERVICES, specHash, type StackSettings} from './services.js'

const settings = (over: Partial<StackSettings> = {}): StackSettings => ({
  stack: 'dev',
  services: [...SERVICES],
  images: {},
  runtimeImage: 'prismctl-runtime:0.1.0-abc',
  oidc: 'dex',
  portOffset: 0,
  expose: false,
  dexConfig: 'issuer: http://localhost:5556/dex\n',
  ...over,
})

const env = (spec: {env: string[]}) => Object.fromEntries(spec.env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]))

describe('service selection', () => {
  it('defaults to every service and enforces dependencies with a clear message', () => {
    expect(chosenServices(undefined, undefined)).toEqual([...SERVICES])
    expect(chosenServices(undefined, 'vault,kafka')).toEqual(['postgres', 'redis', 'nats', 'dex', 'admin', 'proxy'])
    expect(() => chosenServices('proxy', undefined)).toThrow('proxy needs admin, which is not selected')
    expect(() => chosenServices(undefined, 'postgres')).toThrow('admin needs postgres, which is not selected')
    expect(() => chosenServices(undefined, 'mongo')).toThrow('--without: unknown service "mongo"')
    expect(chosenServices('redis,nats', undefined)).toEqual(['redis', 'nats'])
  })

  it('takes image overrides from PRISM_DEV_IMAGE_<SERVICE>, and --image over them', () => {
    expect(imageOverrides(['redis=valkey/valkey:8'], {PRISM_DEV_IMAGE_REDIS: 'redis:7', PRISM_DEV_IMAGE_NATS: 'nats:2'})).toEqual({redis: 'valkey/valkey:8', nats: 'nats:2'})
    expect(() => imageOverrides(['redis'])).toThrow('--image "redis" is not SERVICE=REF')
    expect(() => imageOverrides(['mongo=mongo:7'])).toThrow('unknown service "mongo"')
  })
})

describe('container specs', () => {
  it('pins the documented images, and runs admin, proxy and the embedded issuer from the runtime image', () => {
    for (const service of ['postgres', 'redis', 'nats', 'kafka', 'dex', 'vault'] as const) expect(containerSpec(service, settings()).image).toBe(DEFAULT_IMAGES[service])
    expect(DEFAULT_IMAGES.dex).toBe('ghcr.io/dexidp/dex:v2.45.1')
    expect(DEFAULT_IMAGES.kafka).toBe('apache/kafka:4.1.1')
    expect(containerSpec('admin', settings()).image).toBe('prismctl-runtime:0.1.0-abc')
    const issuer = containerSpec('dex', settings({oidc: 'embedded'}))
    expect(issuer.image).toBe('prismctl-runtime:0.1.0-abc')
    expect(issuer.cmd).toEqual(['dev', 'issuer', '--config', '/etc/dex/config.yaml'])
    expect(containerSpec('dex', settings()).cmd).toEqual(['dex', 'serve', '/etc/dex/config.yaml'])
  })

  it('publishes only dex, vault, admin and proxy unless --expose, always on the offset ports', () => {
    const published = (s: StackSettings) => SERVICES.flatMap((svc) => containerSpec(svc, s).ports.map((p) => `${svc}:${p.host}`))
    expect(published(settings())).toEqual(['dex:5556', 'vault:8200', 'admin:8981', 'proxy:50090', 'proxy:50091'])
    expect(published(settings({expose: true, portOffset: 100}))).toEqual(['postgres:5532', 'redis:6479', 'nats:4322', 'kafka:9192', 'dex:5656', 'vault:8300', 'admin:9081', 'proxy:50190', 'proxy:50191'])
  })

  it('gives Kafka the documented KRaft single-node settings (stack-images §5.2), advertising the published port', () => {
    const kafka = containerSpec('kafka', settings({portOffset: 10, expose: true}))
    const e = env(kafka)
    expect(e).toMatchObject({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://0.0.0.0:29092,CONTROLLER://0.0.0.0:29093,PLAINTEXT_HOST://0.0.0.0:9092',
      KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://kafka:29092,PLAINTEXT_HOST://localhost:9102',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,PLAINTEXT_HOST:PLAINTEXT',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:29093',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'PLAINTEXT',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
    })
    // KRaft needs a 22-character base64url cluster id, stable per stack.
    expect(e.CLUSTER_ID).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(env(containerSpec('kafka', settings())).CLUSTER_ID).toBe(e.CLUSTER_ID)
    expect(env(containerSpec('kafka', settings({stack: 'other'}))).CLUSTER_ID).not.toBe(e.CLUSTER_ID)
    expect(kafka.ports).toEqual([{container: 9092, host: 9102}])
    // The probe calls the tool by absolute path with a small heap (the broker's heap options would be inherited).
    expect(kafka.health.test[1]).toMatch(/^KAFKA_HEAP_OPTS=-Xmx128m \/opt\/kafka\/bin\/kafka-broker-api-versions\.sh /)
  })

  it('gives Vault dev mode with IPC_LOCK, and containers the issuer by service name with tokens saying localhost', () => {
    const vault = containerSpec('vault', settings())
    expect(vault.capAdd).toEqual(['IPC_LOCK'])
    expect(env(vault)).toMatchObject({VAULT_DEV_LISTEN_ADDRESS: '0.0.0.0:8200'})
    const proxy = containerSpec('proxy', settings({portOffset: 100}))
    expect(proxy.cmd).toEqual(expect.arrayContaining(['--issuer', 'http://localhost:5656/dex', '--jwks-url', 'http://dex:5556/dex/keys', '--login-issuer-url', 'http://dex:5556/dex']))
    // The proxy's password travels in its environment, never on its command line.
    expect(proxy.cmd!.join(' ')).not.toContain('prism-proxy')
  })

  it('hashes a spec with its image id: same settings, same hash; any change, another', () => {
    const spec = containerSpec('redis', settings())
    expect(specHash(spec, 'sha256:a')).toBe(specHash(containerSpec('redis', settings()), 'sha256:a'))
    expect(specHash(spec, 'sha256:b')).not.toBe(specHash(spec, 'sha256:a'))
    expect(specHash(containerSpec('redis', settings({images: {redis: 'valkey/valkey:8'}})), 'sha256:a')).not.toBe(specHash(spec, 'sha256:a'))
    // A setting of another service does not touch this one.
    expect(specHash(containerSpec('redis', settings({images: {nats: 'nats:2'}})), 'sha256:a')).toBe(specHash(spec, 'sha256:a'))
  })

  it('registers default backends that validate, at the services\' addresses', () => {
    const backends = Object.values(DOCKER_BACKENDS).flatMap((y) => backendsOf(y))
    expect(backends.map((b) => b.name)).toEqual(['redis-dev', 'nats-dev', 'kafka-dev', 'postgres-dev'])
    // With Vault in the stack, the proxy reads PostgreSQL's password from it (the bootstrap writes it there).
    const [vaulted] = backendsOf(dockerBackend('postgres', true))
    expect(vaulted!.credentials?.source).toEqual({case: 'vaultPath', value: 'vault://secret/data/prism/backends/postgres-dev'})
    expect(backendsOf(dockerBackend('postgres', false))[0]!.credentials?.source.case).toBe('static')
    expect(containerSpec('proxy', settings()).cmd).toEqual(expect.arrayContaining(['--vault-addr', 'http://vault:8200', '--vault-role', 'prism-dev']))
    expect(containerSpec('proxy', settings({services: ['postgres', 'dex', 'admin', 'proxy']})).cmd).not.toContain('--vault-addr')
  })
})
