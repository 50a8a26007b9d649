import {describe, expect, it} from 'vitest'

import {isPrismError} from '../errors.js'
import {LabelOperator} from '../gen/prism/admin/v1/control_plane_pb.js'
import {labelKeyProblem, parseSelector, selectorViolations} from './label-selector.js'

const {IN, NOT_IN, EXISTS, DOES_NOT_EXIST} = LabelOperator

function usage(text: string): string {
  try {
    parseSelector(text)
  } catch (err) {
    if (isPrismError(err) && err.exitCode === 2) return err.message
    throw err
  }
  throw new Error(`"${text}" was accepted`)
}

describe('parseSelector', () => {
  it("reads every form of kubectl's syntax", () => {
    expect(parseSelector('env=dev, domain==commerce,tier!=gold')).toEqual([
      {key: 'env', operator: IN, values: ['dev']},
      {key: 'domain', operator: IN, values: ['commerce']},
      {key: 'tier', operator: NOT_IN, values: ['gold']},
    ])
    expect(parseSelector('env in (dev, qa),tier notin (gold),legacy,!beta,example.com/owner=me')).toEqual([
      {key: 'env', operator: IN, values: ['dev', 'qa']},
      {key: 'tier', operator: NOT_IN, values: ['gold']},
      {key: 'legacy', operator: EXISTS, values: []},
      {key: 'beta', operator: DOES_NOT_EXIST, values: []},
      {key: 'example.com/owner', operator: IN, values: ['me']},
    ])
    expect(parseSelector('env=')).toEqual([{key: 'env', operator: IN, values: ['']}])
    expect(parseSelector('')).toEqual([])
  })

  it('refuses anything else as a usage error that names the problem', () => {
    expect(usage('Bad Key=x')).toContain('expected =, ==, !=, in or notin after "Bad", found "Key"')
    expect(usage('bad_key_=x')).toContain('"bad_key_" is not a valid label key')
    expect(usage('Example.com/x=y')).toContain('has an invalid prefix')
    expect(usage('env in dev')).toContain('expected "(" after in')
    expect(usage('env in ()')).toContain('expected a value in the in (…) list, found ")"')
    expect(usage('env in (a b)')).toContain('expected "," or ")"')
    expect(usage('env=dev tier=gold')).toContain('expected "," between requirements, found "tier"')
    expect(usage('env>1')).toContain('">" is not an operator prismctl supports')
    expect(usage('env=dev,')).toContain('expected a label key, found the end')
    expect(usage('!')).toContain('expected a label key')
  })

  it('shows the syntax with every usage error', () => {
    try {
      parseSelector('a b')
    } catch (err) {
      expect(isPrismError(err) && err.details.join('\n')).toContain('key notin (v1,v2)')
      return
    }
    throw new Error('accepted')
  })
})

describe('selectorViolations (what the control plane checks)', () => {
  it('bounds requirements and values, and wants values exactly for in and notin', () => {
    expect(selectorViolations(Array.from({length: 17}, () => ({key: 'k', operator: EXISTS, values: []})))).toEqual([
      {path: 'label_selector', message: 'at most 16 requirements are allowed, got 17'},
    ])
    expect(selectorViolations([{key: 'k', operator: IN, values: []}, {key: 'k', operator: EXISTS, values: ['x']}, {key: 'k', operator: 0, values: []}]).map((v) => v.path)).toEqual([
      'label_selector[0].values',
      'label_selector[1].values',
      'label_selector[2].operator',
    ])
    expect(selectorViolations([{key: 'k', operator: NOT_IN, values: ['x'.repeat(257)]}])[0]?.message).toBe('values must be at most 256 characters, got 257')
  })

  it('validates keys as kubectl does', () => {
    for (const key of ['env', 'a', 'A_b.c-9', 'prism.dev/tier', 'x'.repeat(63)]) expect(labelKeyProblem(key)).toBeUndefined()
    for (const key of ['', '-env', 'env-', 'a b', 'x'.repeat(64), '/env', 'UPPER.dev/x', 'a/b/c']) expect(labelKeyProblem(key)).toBeDefined()
  })
})
