import {describe, expect, it} from 'vitest'

import {count} from './count.js'

describe('count', () => {
  it('puts the noun in the number the count needs', () => {
    expect([0, 1, 2].map((n) => count(n, 'byte'))).toEqual(['0 bytes', '1 byte', '2 bytes'])
    expect(count(1, 'entry', 'entries')).toBe('1 entry')
    expect(count(5, 'entry', 'entries')).toBe('5 entries')
  })
})
