/**
 * `prismctl validate` (and `namespace validate`, `backend validate`) without oclif: the offline check is what CI
 * scripts and editors run most, and starting oclif (its module graph, its config, the command's class) is about
 * 40 ms of a ~110 ms run. bin/run.js sends these command lines here first, from a bundle of its own
 * (dist/offline.cjs). Only the plain forms are taken, and answered exactly as the oclif command would answer them
 * (same module, same output, same errors and exit codes; test/e2e/fast-validate.test.ts compares the two); anything
 * else (--help, other flags, unusual spellings) is handed back untouched, and oclif runs as usual.
 */
import {asPrismError} from '../errors.js'
import type {Kind} from '../model/documents.js'
import {reportLines} from '../model/offline.js'
import {TOPIC_ALIASES} from './aliases.js'
import {applyOutputFlags, reportError} from './output.js'
import {stdoutIsTty as isTty, writeStdout} from './stdout-sync.js'
import {runValidation} from './validation.js'

export interface FastValidate {
  /** The command as `--help` names it, e.g. "namespace validate". */
  command: string
  kind: Kind | undefined
  paths: string[]
  recursive: boolean
  json: boolean
}

const KINDS: Record<string, Kind> = {namespace: 'Namespace', backend: 'Backend'}
const FILE_FLAGS = new Set(['-f', '--file', '--filename'])

/** The invocation, when argv is one of the forms taken here; undefined hands it to oclif. */
export function parseFastValidate(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, stdoutIsTty: () => boolean = isTty): FastValidate | undefined {
  let rest: readonly string[]
  let command: string
  let kind: Kind | undefined
  if (argv[0] === 'validate') {
    rest = argv.slice(1)
    command = 'validate'
  } else {
    const topic = TOPIC_ALIASES[argv[0] ?? ''] ?? argv[0] ?? ''
    if (argv[1] !== 'validate' || !Object.hasOwn(KINDS, topic)) return undefined
    rest = argv.slice(2)
    command = `${topic} validate`
    kind = KINDS[topic]
  }
  // oclif's environment switches for --json output and its colourised JSON on a terminal stay oclif's.
  if (env.PRISMCTL_CONTENT_TYPE !== undefined || env.PRISM_FAST_PATH === '0') return undefined
  const files: string[] = []
  const positionals: string[] = []
  const seen = new Set<string>()
  // oclif's multiple-value flags are greedy: after -f, every later plain argument is another -f value.
  let afterFile = false
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!
    const eq = arg.indexOf('=')
    if (FILE_FLAGS.has(arg)) {
      const value = rest[++i]
      if (value === undefined || (value.startsWith('-') && value !== '-')) return undefined
      files.push(value)
      afterFile = true
    } else if (arg.startsWith('--') && eq > 0 && FILE_FLAGS.has(arg.slice(0, eq))) {
      files.push(arg.slice(eq + 1))
      afterFile = true
    } else if (arg === '-R' || arg === '--recursive' || arg === '--json' || arg === '--debug' || arg === '--no-color') {
      const name = arg === '-R' ? '--recursive' : arg
      if (seen.has(name)) return undefined
      seen.add(name)
    } else if ((!arg.startsWith('-') || arg === '-') && arg !== '') {
      if (afterFile) files.push(arg)
      else positionals.push(arg)
    } else {
      return undefined
    }
  }
  const json = seen.has('--json')
  if (json && stdoutIsTty()) return undefined
  return {command, kind, paths: [...files, ...positionals], recursive: seen.has('--recursive'), json}
}

/** Runs the invocation when it is one of the forms taken here; false when oclif should run it instead. */
export async function runFastValidate(argv: readonly string[]): Promise<boolean> {
  const invocation = parseFastValidate(argv)
  if (!invocation) return false
  applyOutputFlags()
  try {
    const report = await runValidation({...invocation, bin: 'prismctl'})
    writeStdout(invocation.json ? `${JSON.stringify(report, null, 2)}\n` : reportLines(report).map((line) => `${line}\n`).join(''))
  } catch (err) {
    reportError(asPrismError(err), invocation.json, err)
  }
  return true
}
