import {describe, expect, it} from 'vitest'

import {crc32, partitionOf} from './crc32.js'

describe('crc32', () => {
  it('matches the standard check value and other known vectors', () => {
    expect(crc32('123456789')).toBe(0xcbf43926)
    expect(crc32('')).toBe(0)
    expect(crc32('a')).toBe(0xe8b7be43)
    expect(crc32('The quick brown fox jumps over the lazy dog')).toBe(0x414fa339)
    expect(crc32(new Uint8Array([0xff, 0x00, 0x80]))).toBe(crc32(Buffer.from([0xff, 0x00, 0x80])))
  })

  it('partitions by crc32 mod 256', () => {
    expect(partitionOf('123456789')).toBe(0xcbf43926 % 256)
    expect(partitionOf('orders')).toBe(crc32('orders') & 0xff)
  })
})
