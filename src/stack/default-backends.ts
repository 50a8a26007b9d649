/**
 * The backends the dev stack registers in its control plane after start-up, so that the examples under
 * templates/examples apply as they are: memstore-dev always, and in the Docker stack one backend per backend service
 * it runs, at its address on the stack's network.
 */
import {PrismError} from '../errors.js'
import {parseDocuments} from '../model/documents.js'
import type {Backend} from '../gen/prism/admin/v1/resources_pb.js'

export const MEMSTORE_DEV = `kind: Backend
name: memstore-dev
type: memstore
description: In-memory store inside the proxy; data is lost on restart
memstore: {maxKeys: 100000}
interfaces: [keyvalue_basic, keyvalue_ttl, keyvalue_scan, pubsub_basic, queue_basic, table_writer, table_reader]
`

function postgresDev(credentials: string): string {
  return `kind: Backend
name: postgres-dev
type: postgres
description: The dev stack's PostgreSQL (the control plane's store too)
postgres: {host: postgres, port: 5432, database: prism, sslmode: disable}
credentials: ${credentials}
interfaces: [keyvalue_basic, keyvalue_transactional, queue_basic, table_writer, table_reader]
`
}

/** The Docker stack's backends by the service that provides them. PostgreSQL's password is the stack's own. */
export const DOCKER_BACKENDS: Record<'redis' | 'nats' | 'kafka' | 'postgres', string> = {
  redis: `kind: Backend
name: redis-dev
type: redis
description: The dev stack's Redis
redis: {address: "redis:6379", database: 0}
interfaces: [keyvalue_basic, keyvalue_ttl, keyvalue_scan, pubsub_basic]
`,
  nats: `kind: Backend
name: nats-dev
type: nats
description: The dev stack's NATS with JetStream
nats: {url: "nats://nats:4222", jetstream: true}
interfaces: [pubsub_basic, pubsub_persistent, queue_basic]
`,
  kafka: `kind: Backend
name: kafka-dev
type: kafka
description: The dev stack's single-node Kafka (KRaft)
kafka: {brokers: ["kafka:29092"], clientId: prism-dev}
interfaces: [pubsub_basic, pubsub_persistent, queue_basic, stream_basic]
`,
  postgres: postgresDev('{static: {username: prism, password: prism-dev}}'),
}

/** With Vault in the stack, PostgreSQL's credentials are the ones the bootstrap writes there, read by the proxy. */
export const POSTGRES_DEV_VAULT_PATH = 'vault://secret/data/prism/backends/postgres-dev'
export const dockerBackend = (service: keyof typeof DOCKER_BACKENDS, vault: boolean): string =>
  service === 'postgres' && vault ? postgresDev(`{vaultPath: "${POSTGRES_DEV_VAULT_PATH}"}`) : DOCKER_BACKENDS[service]

export function backendsOf(yaml: string): Backend[] {
  const {docs, problems} = parseDocuments(yaml, 'dev-stack backends')
  if (problems.length > 0) throw new PrismError('the dev stack\'s default backends do not validate', {details: problems, code: 'INTERNAL'})
  return docs.map((d) => d.message as Backend)
}
