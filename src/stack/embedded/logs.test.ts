import {appendFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {tempDir} from '../../../test/helpers/cli.js'
import {followLog, tailLines} from './logs.js'

describe('the stack log', () => {
  it('tailLines: the last N lines, none for 0, nothing for a missing file', () => {
    const path = join(tempDir('prism-logs-'), 'stack.log')
    expect(tailLines(path, 5)).toEqual([])
    writeFileSync(path, 'a\nb\nc\n')
    expect(tailLines(path, 2)).toEqual(['b', 'c'])
    expect(tailLines(path, 0)).toEqual([])
    expect(tailLines(path, Number.POSITIVE_INFINITY)).toEqual(['a', 'b', 'c'])
  })

  it('followLog: prints only what is appended, starts over when the file is truncated, stops on abort', async () => {
    const path = join(tempDir('prism-logs-'), 'stack.log')
    writeFileSync(path, 'old line\n')
    const seen: string[] = []
    const controller = new AbortController()
    let resolveSeen: () => void = () => undefined
    const next = () => new Promise<void>((resolve) => (resolveSeen = resolve))
    const following = followLog(path, (chunk) => {
      seen.push(chunk)
      resolveSeen()
    }, controller.signal)
    let arrived = next()
    appendFileSync(path, 'new line\n')
    await arrived
    arrived = next()
    writeFileSync(path, 'x\n')
    await arrived
    controller.abort()
    await following
    expect(seen).toEqual(['new line\n', 'x\n'])
  })
})
