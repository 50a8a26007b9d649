import {describe, expect, it} from 'vitest'

import {parseFastValidate} from './fast-validate.js'

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}, tty = false) => parseFastValidate(argv, env, () => tty)

describe('which validate command lines run without oclif', () => {
  it('takes the plain forms, with paths in the order oclif gives them', () => {
    expect(parse(['validate', '-f', 'a.yaml'])).toEqual({command: 'validate', kind: undefined, paths: ['a.yaml'], recursive: false, json: false})
    expect(parse(['ns', 'validate', 'x', '--file=a', '-R', 'b', '--json', 'c'])).toEqual({command: 'namespace validate', kind: 'Namespace', paths: ['a', 'b', 'c', 'x'], recursive: true, json: true})
    expect(parse(['backends', 'validate', '--filename', '-', '--debug', '--no-color'])).toMatchObject({command: 'backend validate', kind: 'Backend', paths: ['-']})
    expect(parse(['validate'])).toMatchObject({paths: []})
  })

  it('hands everything else to oclif', () => {
    for (const argv of [
      ['validate', '--help'],
      ['validate', '-h'],
      ['validate', '-f'],
      ['validate', '-f', '--json'],
      ['validate', '-fa.yaml'],
      ['validate', '--bogus'],
      ['validate', '--', 'a.yaml'],
      ['validate', '--json', '--json', 'a'],
      ['validate', '--context', 'prod', 'a'],
      ['namespace', 'get', 'validate'],
      ['kv', 'validate', 'a'],
      ['convert', '-f', 'a'],
    ]) {
      expect(parse(argv), argv.join(' ')).toBeUndefined()
    }
  })

  it('leaves oclif its JSON on a terminal (colourised) and its content-type switch; PRISM_FAST_PATH=0 turns it off', () => {
    expect(parse(['validate', '--json', 'a'], {}, true)).toBeUndefined()
    expect(parse(['validate', 'a'], {}, true)).toBeDefined()
    expect(parse(['validate', 'a'], {PRISMCTL_CONTENT_TYPE: 'json'})).toBeUndefined()
    expect(parse(['validate', 'a'], {PRISM_FAST_PATH: '0'})).toBeUndefined()
  })
})
