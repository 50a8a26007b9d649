/**
 * A cross-process lock file, so that two prismctl processes refreshing the same context never both spend the
 * (single-use, rotated) refresh token. Created with O_EXCL; a lock whose owner process is gone, or that is older
 * than `staleMs`, is taken over; waiting is bounded.
 */
import {closeSync, openSync, readFileSync, rmSync, statSync, writeSync} from 'node:fs'
import {dirname} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {ensurePrivateDir} from '../config/files.js'
import {PrismError} from '../errors.js'

export interface LockOptions {
  /** Give up after this long. */
  timeoutMs?: number
  /** A lock older than this is considered abandoned even if its pid is alive (pid reuse, hung process). */
  staleMs?: number
  pollMs?: number
}

function ownerAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** True when the lock at `path` was abandoned; removes it in that case. */
function clearIfStale(path: string, staleMs: number): boolean {
  let content: string
  let mtimeMs: number
  try {
    content = readFileSync(path, 'utf8')
    mtimeMs = statSync(path).mtimeMs
  } catch {
    return true // released meanwhile
  }
  const pid = Number.parseInt(content.split('\n')[0] ?? '', 10)
  // An empty file is a lock being written right now, unless it is old.
  const dead = Number.isInteger(pid) && pid > 0 ? !ownerAlive(pid) : false
  if (!dead && Date.now() - mtimeMs < staleMs) return false
  try {
    // Only remove what we judged: if another process took over meanwhile, its content differs.
    if (readFileSync(path, 'utf8') === content) rmSync(path, {force: true})
  } catch {
    // already gone
  }
  return true
}

export async function withFileLock<T>(path: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const {timeoutMs = 20_000, staleMs = 60_000, pollMs = 25} = options
  ensurePrivateDir(dirname(path))
  const token = `${process.pid}\n${Date.now()}-${Math.random().toString(36).slice(2)}\n`
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o600)
      try {
        writeSync(fd, token)
      } finally {
        closeSync(fd)
      }
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      if (clearIfStale(path, staleMs)) continue
      if (Date.now() > deadline) {
        throw new PrismError(`timed out waiting for the lock ${path}`, {
          code: 'ABORTED',
          hint: `Another prismctl process is refreshing the login. If none is running, delete ${path}.`,
        })
      }
      await sleep(pollMs)
    }
  }
  try {
    return await fn()
  } finally {
    try {
      if (readFileSync(path, 'utf8') === token) rmSync(path, {force: true})
    } catch {
      // someone judged it stale and removed it; nothing to release
    }
  }
}
