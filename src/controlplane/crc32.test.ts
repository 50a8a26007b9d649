import {describe, expect, it} from 'vitest'

import {partitionOf} from './crc32.js'

describe('partitionOf', () => {
  it('is the standard CRC-32 of the name mod 256', () => {
    // 0xcbf43926 is CRC-32's standard check value; 0xe8b7be43 and 0x414fa339 are further known vectors.
    expect(partitionOf('123456789')).toBe(0xcbf43926 % 256)
    expect(partitionOf('a')).toBe(0xe8b7be43 % 256)
    expect(partitionOf('The quick brown fox jumps over the lazy dog')).toBe(0x414fa339 % 256)
    expect(partitionOf('')).toBe(0)
  })
})
