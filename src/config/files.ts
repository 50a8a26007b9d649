import {randomBytes} from 'node:crypto'
import {mkdirSync, renameSync, rmSync, statSync, chmodSync, writeFileSync, openSync, fsyncSync, closeSync} from 'node:fs'
import {homedir} from 'node:os'
import {dirname, join} from 'node:path'

/** ~/.prism, or PRISM_CONFIG_DIR. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PRISM_CONFIG_DIR || join(homedir(), '.prism')
}

/** Creates the directory (and parents) private to the user; tightens it if it already exists. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, {recursive: true, mode: 0o700})
  if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700)
}

/**
 * Writes a file so that readers see either the old content or the new, never a torn one: write a sibling temp
 * file, fsync it, rename it over the target. The temp file is removed if anything fails.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600, opts: {privateDir?: boolean} = {}): void {
  // Off for user-chosen outputs (convert --out): never tighten a directory the user owns, like the current one.
  if (opts.privateDir ?? true) ensurePrivateDir(dirname(path))
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    writeFileSync(tmp, data, {mode})
    const fd = openSync(tmp, 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, path)
  } catch (err) {
    rmSync(tmp, {force: true})
    throw err
  }
}
