/**
 * Unknown protobuf fields: protobuf-es keeps the bytes of fields it does not know in `$unknown`, on every message of
 * the tree, and writes them back out on serialization. The control plane drops them from what it stores, so a
 * client cannot smuggle data past the size limits into the store, Get and the proxies' watches.
 */
import type {Message} from '@bufbuild/protobuf'

/** Removes `$unknown` from a message and every message it holds (fields, lists, maps, oneofs), in place. */
export function dropUnknownFields<M extends Message>(message: M): M {
  strip(message)
  return message
}

function strip(value: unknown): void {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return
  if ('$unknown' in value) delete (value as {$unknown?: unknown}).$unknown
  // Lists, map entries, oneof {case, value} and message fields are all plain own values.
  for (const item of Object.values(value)) strip(item)
}
