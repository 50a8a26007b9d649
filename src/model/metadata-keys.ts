/**
 * Upstream's message metadata keys (prismctl `publish message`, RFC-037): set by the CLI's publish, stamped and
 * checked by the proxy (src/proxy/message-metadata.ts), stored as columns by mailboxes.
 */
export const META = {
  contentType: 'prism-content-type',
  correlationId: 'prism-correlation-id',
  schemaId: 'prism-schema-id',
  encryption: 'prism-encryption',
  principal: 'prism-principal',
  namespace: 'prism-namespace',
} as const
