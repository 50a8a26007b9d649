/**
 * The runtime image the stack's admin, proxy (and embedded issuer) run: this package's files and its runtime
 * dependencies on a Node 20 base, built by the engine from a tar of the package (templates/docker/runtime.Dockerfile).
 * Its tag is a hash of what goes in, so `dev up` builds it only when the package changed.
 */
import {createHash} from 'node:crypto'
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'

import type Dockerode from 'dockerode'

import {PrismError} from '../../errors.js'

export const DEFAULT_BASE_IMAGE = 'node:20-bookworm-slim'
const DOCKERFILE = 'templates/docker/runtime.Dockerfile'
const OWN_ENTRIES = ['bin', 'dist', 'templates', 'package.json', 'oclif.manifest.json']

/**
 * Dependencies the stack's processes never load: native addons (the stack's control plane keeps its state in
 * PostgreSQL, so SQLite is not needed) and what only the host-side `dev` commands use.
 */
const LEFT_OUT = new Set(['better-sqlite3', 'dockerode', 'typescript'])

interface Pkg {
  name?: string
  version?: string
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
}

function readPkg(dir: string): Pkg {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Pkg
}

/** Node's lookup: DIR/node_modules/NAME, then each parent's, never above the package root. */
function resolvePackage(root: string, fromDir: string, name: string): string | undefined {
  let dir = fromDir
  for (;;) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return candidate
    if (dir === root) return undefined
    const parent = join(dir, '..')
    const up = parent.endsWith('/node_modules') ? join(parent, '..') : parent
    if (relative(root, up).startsWith('..')) return undefined
    dir = up
  }
}

function hasNativeAddon(dir: string): boolean {
  const stack = [dir]
  while (stack.length > 0) {
    const d = stack.pop()!
    for (const entry of readdirSync(d, {withFileTypes: true})) {
      if (entry.isDirectory() && entry.name !== 'node_modules') stack.push(join(d, entry.name))
      else if (entry.name.endsWith('.node') || entry.name === 'binding.gyp') return true
    }
  }
  return false
}

/** Package directories (relative to root) of the runtime dependency closure, sorted. */
export function runtimeDependencies(root: string): {dirs: string[]; versions: string[]} {
  const seen = new Map<string, string>()
  const queue: string[] = [root]
  while (queue.length > 0) {
    const dir = queue.shift()!
    const pkg = readPkg(dir)
    const optional = new Set(Object.keys(pkg.optionalDependencies ?? {}))
    for (const name of [...Object.keys(pkg.dependencies ?? {}), ...optional]) {
      if (LEFT_OUT.has(name) || name.startsWith('@types/')) continue
      const found = resolvePackage(root, dir, name)
      if (!found) {
        if (optional.has(name)) continue
        throw new PrismError(`cannot package the runtime image: ${name} (needed by ${pkg.name ?? 'prismctl'}) is not installed under ${root}`, {code: 'FAILED_PRECONDITION', hint: 'Reinstall prismctl (npm ci, or npm install -g prismctl) so that its dependencies sit in its own node_modules.'})
      }
      const rel = relative(root, found)
      if (seen.has(rel)) continue
      if (hasNativeAddon(found)) {
        if (optional.has(name)) continue
        throw new PrismError(`cannot package the runtime image: ${name} contains a native addon, which would not run on every host`, {code: 'INTERNAL'})
      }
      seen.set(rel, `${name}@${readPkg(found).version ?? '?'}`)
      queue.push(found)
    }
  }
  const dirs = [...seen.keys()].sort()
  return {dirs, versions: dirs.map((d) => `${d}=${seen.get(d)}`)}
}

function hashTree(hash: ReturnType<typeof createHash>, root: string, entry: string): void {
  const path = join(root, entry)
  if (!existsSync(path)) return
  if (statSync(path).isDirectory()) {
    for (const child of readdirSync(path).sort()) hashTree(hash, root, join(entry, child))
    return
  }
  hash.update(`${entry}\0`).update(readFileSync(path)).update('\0')
}

export interface RuntimeImagePlan {
  tag: string
  baseImage: string
  entries: string[]
}

/** What goes in and the tag it gets: our own files by content, dependencies by name and version. */
export function planRuntimeImage(root: string, baseImage: string, version: string): RuntimeImagePlan {
  const deps = runtimeDependencies(root)
  const hash = createHash('sha256').update(`base=${baseImage}\0`)
  for (const entry of [DOCKERFILE, ...OWN_ENTRIES]) hashTree(hash, root, entry)
  hash.update(deps.versions.join('\n'))
  return {tag: `prismctl-runtime:${version}-${hash.digest('hex').slice(0, 12)}`, baseImage, entries: [...OWN_ENTRIES.filter((e) => existsSync(join(root, e))), ...deps.dirs]}
}

export async function imageExists(docker: Dockerode, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect()
    return true
  } catch (err) {
    if ((err as {statusCode?: number}).statusCode === 404) return false
    throw err
  }
}

interface ProgressEvent {
  stream?: string
  error?: string
  errorDetail?: {message?: string}
}

/** Builds the image unless a build of the same content exists; `progress` gets the build's output lines. */
export async function ensureRuntimeImage(docker: Dockerode, root: string, plan: RuntimeImagePlan, labels: Record<string, string>, progress: (line: string) => void): Promise<{tag: string; built: boolean}> {
  if (await imageExists(docker, plan.tag)) return {tag: plan.tag, built: false}
  if (!(await imageExists(docker, plan.baseImage))) {
    throw new PrismError(`the runtime image's base ${plan.baseImage} is not present`, {
      code: 'FAILED_PRECONDITION',
      hint: `Pull it (docker pull ${plan.baseImage}, or dev up --pull missing), or name a local Node 20 image: --base-image REF.`,
    })
  }
  const stream = await docker.buildImage(
    {context: root, src: [DOCKERFILE, ...plan.entries]},
    {t: plan.tag, dockerfile: DOCKERFILE, buildargs: {BASE_IMAGE: plan.baseImage}, labels, pull: false, rm: true, forcerm: true} as Dockerode.ImageBuildOptions,
  )
  const events = await new Promise<ProgressEvent[]>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, output: ProgressEvent[]) => (err ? reject(err) : resolve(output)), (event: ProgressEvent) => {
      const line = event.stream?.trim()
      if (line) progress(line)
    })
  })
  // docker-modem 5 reports a failed build as events, not as an error.
  const failed = events.find((e) => e.error || e.errorDetail)
  if (failed) throw new PrismError(`building the runtime image failed: ${failed.errorDetail?.message ?? failed.error}`, {code: 'INTERNAL'})
  return {tag: plan.tag, built: true}
}
