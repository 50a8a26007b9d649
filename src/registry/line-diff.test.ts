import {describe, expect, it} from 'vitest'

import {diffLines, unifiedDiff} from './line-diff.js'

const lines = (s: string) => `${s.split(' ').join('\n')}\n`

describe('diffLines', () => {
  it('keeps the longest common subsequence and puts removals before additions', () => {
    expect(diffLines(['a', 'b', 'c'], ['a', 'x', 'c'])).toEqual([
      {op: ' ', line: 'a'},
      {op: '-', line: 'b'},
      {op: '+', line: 'x'},
      {op: ' ', line: 'c'},
    ])
  })
})

describe('unifiedDiff', () => {
  const labels = {from: 'live/namespace/x', to: 'merged/namespace/x'}

  it('is empty when the texts are equal', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n', labels)).toBe('')
  })

  // Expected outputs are what GNU `diff -u` prints for the same inputs.
  it('splits distant changes into separate hunks with three lines of context', () => {
    expect(unifiedDiff(lines('a b c d e f g h i j k'), lines('a B c d e f g h i j k l'), labels)).toBe(
      [
        '--- live/namespace/x',
        '+++ merged/namespace/x',
        '@@ -1,5 +1,5 @@',
        ' a',
        '-b',
        '+B',
        ' c',
        ' d',
        ' e',
        '@@ -9,3 +9,4 @@',
        ' i',
        ' j',
        ' k',
        '+l',
        '',
      ].join('\n'),
    )
  })

  it('merges changes whose context windows touch into one hunk', () => {
    const out = unifiedDiff(lines('a b c d e f g h'), lines('a X c d e f g Y'), labels)
    expect(out.split('\n').filter((l) => l.startsWith('@@'))).toEqual(['@@ -1,8 +1,8 @@'])
  })

  it('shows a new object as all added, and a removed one as all deleted', () => {
    expect(unifiedDiff('', 'a\nb\n', labels)).toBe('--- live/namespace/x\n+++ merged/namespace/x\n@@ -0,0 +1,2 @@\n+a\n+b\n')
    expect(unifiedDiff('a\n', '', labels)).toBe('--- live/namespace/x\n+++ merged/namespace/x\n@@ -1 +0,0 @@\n-a\n')
  })
})
