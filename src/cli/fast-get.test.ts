import {describe, expect, it} from 'vitest'

import {parseFastGet} from './fast-get.js'

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}, tty = false) => parseFastGet(argv, env, () => tty)

describe('which get command lines run without oclif', () => {
  it('takes the plain forms, through the topic aliases, with the flags as oclif reads them', () => {
    expect(parse(['namespace', 'get', 'orders'])).toEqual({kind: 'Namespace', name: 'orders', output: undefined, json: false, flags: {timeout: '10s'}})
    expect(parse(['ns', 'get', '-o', 'yaml', 'orders', '--context=prod', '--timeout', '3s'])).toEqual({kind: 'Namespace', name: 'orders', output: 'yaml', json: false, flags: {context: 'prod', timeout: '3s'}})
    expect(parse(['backends', 'get', 'mem', '--json', '--admin-endpoint', 'h:1', '--insecure-plaintext', '--debug', '--no-color'])).toEqual({
      kind: 'Backend', name: 'mem', output: undefined, json: true, flags: {'admin-endpoint': 'h:1', timeout: '10s', 'insecure-plaintext': true},
    })
    expect(parse(['namespace', 'get', 'orders', '--output=name'])).toMatchObject({output: 'name'})
  })

  it('hands everything else to oclif', () => {
    for (const argv of [
      ['namespace', 'get'],
      ['namespace', 'get', 'a', 'b'],
      ['namespace', 'get', 'a', '--help'],
      ['namespace', 'get', 'a', '-h'],
      ['namespace', 'get', 'a', '-o'],
      ['namespace', 'get', 'a', '-o', 'wide'],
      ['namespace', 'get', 'a', '-ojson'],
      ['namespace', 'get', 'a', '-o', '--json'],
      ['namespace', 'get', 'a', '-o', 'yaml', '--json'],
      ['namespace', 'get', 'a', '-o', 'json', '-o', 'yaml'],
      ['namespace', 'get', 'a', '--json', '--json'],
      ['namespace', 'get', 'a', '--context='],
      ['namespace', 'get', 'a', '--bogus'],
      ['namespace', 'get', 'a', '--', 'b'],
      ['namespace', 'list'],
      ['kv', 'get', 'ns', 'key'],
      ['audit', 'get', 'x'],
    ]) {
      expect(parse(argv), argv.join(' ')).toBeUndefined()
    }
  })

  it('leaves oclif the environment switches and --json on a terminal (colourised there)', () => {
    expect(parse(['namespace', 'get', 'a'], {PRISM_FAST_PATH: '0'})).toBeUndefined()
    expect(parse(['namespace', 'get', 'a'], {PRISMCTL_CONTENT_TYPE: 'json'})).toBeUndefined()
    expect(parse(['namespace', 'get', 'a', '--json'], {}, true)).toBeUndefined()
    expect(parse(['namespace', 'get', 'a'], {}, true)).toMatchObject({name: 'a'})
  })
})
