/**
 * The backends the dev stack registers in its control plane after start-up, so that the examples under
 * templates/examples apply as they are. The Docker stack adds its redis-dev, nats-dev, … here.
 */
import {PrismError} from '../errors.js'
import {parseDocuments} from '../model/documents.js'
import type {Backend} from '../gen/prism/admin/v1/resources_pb.js'

export const MEMSTORE_DEV = `kind: Backend
name: memstore-dev
type: memstore
description: In-memory store inside the proxy; data is lost on restart
memstore: {maxKeys: 100000}
interfaces: [keyvalue_basic, keyvalue_ttl, keyvalue_scan, pubsub_basic, queue_basic]
`

export function backendsOf(yaml: string): Backend[] {
  const {docs, problems} = parseDocuments(yaml, 'dev-stack backends')
  if (problems.length > 0) throw new PrismError('the dev stack\'s default backends do not validate', {details: problems, code: 'INTERNAL'})
  return docs.map((d) => d.message as Backend)
}
