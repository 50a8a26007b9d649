import {describe, expect, it} from 'vitest'

import {progressRows} from './progress-rows.js'

function fakeStream(isTTY: boolean): NodeJS.WriteStream & {text: string} {
  const s = {text: '', isTTY, columns: 80, write(chunk: string) {
    s.text += chunk
    return true
  }}
  return s as unknown as NodeJS.WriteStream & {text: string}
}

describe('progress rows', () => {
  it('prints plain lines when not on a terminal, or in CI', () => {
    for (const [tty, env] of [[false, {}], [true, {CI: 'true'}]] as const) {
      const s = fakeStream(tty)
      const rows = progressRows(s, env)
      rows.update('postgres', 'starting')
      rows.line('built the runtime image')
      rows.update('postgres', 'healthy')
      expect(s.text).toBe('postgres: starting\nbuilt the runtime image\npostgres: healthy\n')
    }
  })

  it('redraws one row per item in place on a terminal', () => {
    const s = fakeStream(true)
    const rows = progressRows(s, {})
    rows.update('redis', 'starting')
    rows.update('postgres', 'starting')
    rows.update('redis', 'healthy')
    expect(s.text).toBe('redis  starting\n' + '\x1b[1A\x1b[Jredis     starting\npostgres  starting\n' + '\x1b[2A\x1b[Jredis     healthy\npostgres  starting\n')
  })
})
