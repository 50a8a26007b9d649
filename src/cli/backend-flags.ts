/** The per-type flags of `backend register` and `backend update` (which types take which: registry/backend-flags.ts). */
import {Flags} from '@oclif/core'

import {BACKEND_TYPE_NAMES, type BackendFlagValues} from '../registry/backend-flags.js'

export const backendTypeFlags = {
  type: Flags.string({description: 'Backend type', options: BACKEND_TYPE_NAMES}),
  address: Flags.string({description: 'redis: host:port', helpGroup: 'REDIS'}),
  database: Flags.string({description: 'redis: database number; postgres: database name', helpGroup: 'REDIS / POSTGRES'}),
  tls: Flags.boolean({description: 'redis: connect with TLS', allowNo: true, helpGroup: 'REDIS'}),
  url: Flags.string({description: 'nats: server URL, e.g. nats://nats:4222', helpGroup: 'NATS'}),
  jetstream: Flags.boolean({description: 'nats: use JetStream', allowNo: true, helpGroup: 'NATS'}),
  brokers: Flags.string({description: 'kafka: bootstrap brokers, host:port, comma-separated or repeated', multiple: true, helpGroup: 'KAFKA'}),
  'client-id': Flags.string({description: 'kafka: client id', helpGroup: 'KAFKA'}),
  host: Flags.string({description: 'postgres: host', helpGroup: 'POSTGRES'}),
  port: Flags.integer({description: 'postgres: port', min: 1, max: 65535, helpGroup: 'POSTGRES'}),
  sslmode: Flags.string({description: 'postgres: sslmode', helpGroup: 'POSTGRES'}),
  path: Flags.string({description: 'sqlite: database file path', helpGroup: 'SQLITE'}),
  endpoint: Flags.string({description: 's3: endpoint URL', helpGroup: 'S3'}),
  bucket: Flags.string({description: 's3: bucket', helpGroup: 'S3'}),
  region: Flags.string({description: 's3: region', helpGroup: 'S3'}),
  'max-keys': Flags.integer({description: 'memstore: maximum number of keys', min: 0, helpGroup: 'MEMSTORE'}),
  interfaces: Flags.string({description: 'Interfaces it implements, e.g. keyvalue_basic,keyvalue_ttl (comma-separated or repeated)', multiple: true}),
  label: Flags.string({description: 'Label key=value; repeatable (on update, key- removes one)', multiple: true}),
  'vault-path': Flags.string({description: 'Credentials: a vault:// reference the proxy resolves at run time'}),
  description: Flags.string({description: 'Free text'}),
}

export function backendFlagValues(flags: BackendFlagValues & Record<string, unknown>): BackendFlagValues {
  const values: BackendFlagValues = {}
  for (const key of Object.keys(backendTypeFlags) as (keyof BackendFlagValues)[]) {
    if (flags[key] !== undefined) (values as Record<string, unknown>)[key] = flags[key]
  }
  return values
}
