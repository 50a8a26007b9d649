import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {withFileLock} from './lock.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'prism-lock-'))
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

/** A pid that is certainly not running: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'])
  await new Promise((resolve) => child.on('exit', resolve))
  return child.pid!
}

describe('withFileLock', () => {
  it('serializes critical sections and removes the lock afterwards', async () => {
    const path = join(dir, 't.lock')
    const events: string[] = []
    const section = (name: string) =>
      withFileLock(path, async () => {
        events.push(`${name} in`)
        await new Promise((r) => setTimeout(r, 30))
        events.push(`${name} out`)
      }, {pollMs: 5})
    await Promise.all([section('a'), section('b')])
    expect(events).toEqual(['a in', 'a out', 'b in', 'b out'])
    expect(existsSync(path)).toBe(false)
  })

  it('releases the lock when the section throws', async () => {
    const path = join(dir, 't.lock')
    await expect(withFileLock(path, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    expect(existsSync(path)).toBe(false)
  })

  it('takes over a lock whose owner process is gone', async () => {
    const path = join(dir, 't.lock')
    writeFileSync(path, `${await deadPid()}\nabc\n`)
    await expect(withFileLock(path, async () => 'got it', {timeoutMs: 1000})).resolves.toBe('got it')
  })

  it('takes over a lock older than staleMs even if its pid is alive', async () => {
    const path = join(dir, 't.lock')
    writeFileSync(path, `${process.pid}\nabc\n`)
    const old = new Date(Date.now() - 120_000)
    utimesSync(path, old, old)
    await expect(withFileLock(path, async () => 'got it', {timeoutMs: 1000, staleMs: 60_000})).resolves.toBe('got it')
  })

  it('gives up after the timeout with the path to delete, leaving a live lock alone', async () => {
    const path = join(dir, 't.lock')
    writeFileSync(path, `${process.pid}\nheld\n`)
    await expect(withFileLock(path, async () => 'never', {timeoutMs: 100, pollMs: 10})).rejects.toMatchObject({
      code: 'ABORTED',
      message: `timed out waiting for the lock ${path}`,
      hint: expect.stringContaining(`delete ${path}`),
    })
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\nheld\n`)
  })
})
