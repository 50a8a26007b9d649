import {mkdirSync, renameSync, rmSync, statSync, chmodSync, writeFileSync, openSync, fchmodSync, fsyncSync, closeSync, type Stats} from 'node:fs'
import {homedir} from 'node:os'
import {dirname, join} from 'node:path'

import {PrismError} from '../errors.js'

/** ~/.prism, or PRISM_CONFIG_DIR. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PRISM_CONFIG_DIR || join(homedir(), '.prism')
}

/**
 * Refuses a file or directory that group or others can write: whoever can write config.yaml can point the
 * endpoints at their own server and receive the user's bearer, and whoever can write a directory can replace what
 * is in it. Judged by the mode bits, not by trying to write (root can write anything). `stats` defaults to stat(),
 * which follows symbolic links (a config.yaml linked from a dotfiles checkout is judged by its target); absent paths
 * pass.
 */
export function refuseWritableByOthers(path: string, what: string, stats: Stats | undefined = statSync(path, {throwIfNoEntry: false})): void {
  if (!stats || process.platform === 'win32') return
  const mode = stats.mode & 0o777
  if ((mode & 0o022) === 0) return
  throw new PrismError(`refusing to use ${what} ${path}: other users can write it (mode ${mode.toString(8).padStart(4, '0')})`, {
    code: 'FAILED_PRECONDITION',
    hint: `Fix it with: chmod go-w ${path}   (and check its contents: someone else may have changed them)`,
  })
}

/** Creates the directory (and parents) private to the user; tightens it if it already exists. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, {recursive: true, mode: 0o700})
  if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700)
}

/**
 * Writes a file so that readers see either the old content or the new, never a torn one: write a sibling temp
 * file, fsync it, rename it over the target. The temp file is removed if anything fails. The file gets `mode` as
 * given, not narrowed by the umask (convert --out keeps the mode of a file it replaces).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600, opts: {privateDir?: boolean} = {}): void {
  // Off for user-chosen outputs (convert --out): never tighten a directory the user owns, like the current one.
  if (opts.privateDir ?? true) ensurePrivateDir(dirname(path))
  // 'wx' creates the temp file or fails (never follows a link planted at its name), so the name need not be secret:
  // no node:crypto, whose loading costs every start a few milliseconds.
  const tmp = `${path}.${process.pid}.${process.hrtime.bigint().toString(36)}.tmp`
  try {
    writeFileSync(tmp, data, {mode, flag: 'wx'})
    const fd = openSync(tmp, 'r')
    try {
      fchmodSync(fd, mode)
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
