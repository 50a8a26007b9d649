import {crc32} from 'node:zlib'

/** The namespace partition a proxy shards on (DESIGN.md §3): CRC-32 (IEEE, as zlib) of the name, mod 256. */
export function partitionOf(name: string): number {
  return crc32(name) % 256
}
