/**
 * `prismctl namespace get NAME` and `backend get NAME` without oclif: the read scripts and people run most, where
 * starting oclif and the whole CLI bundle was most of a ~190 ms run. bin/run.js sends these command lines here,
 * to a bundle of their own (dist/get.cjs). As with fast-validate.ts, only the plain forms are taken (-o, --json,
 * --context, --admin-endpoint, --timeout, --insecure-plaintext, --debug, --no-color; each once) and answered as the
 * oclif command answers them (the same functions, output and errors; test/e2e/fast-get.test.ts compares the two);
 * anything else (--help, an unknown flag or format, -o with --json) is handed back, and oclif runs as usual.
 */
import {asPrismError} from '../errors.js'
import type {Kind} from '../model/documents.js'
import {OUTPUT_FORMATS, renderResources, resourcesJson, type OutputFormat} from '../registry/output.js'
import {connectionOf} from '../registry/connection.js'
import {getResource} from '../registry/resources.js'
import {TOPIC_ALIASES} from './aliases.js'
import {applyOutputFlags, reportError} from './output.js'
import {stdoutIsTty as isTty, writeStdout} from './stdout-sync.js'

export interface FastGet {
  kind: Kind
  name: string
  /** -o; undefined: table, or JSON under --json. */
  output: OutputFormat | undefined
  json: boolean
  flags: {context?: string; 'admin-endpoint'?: string; timeout: string; 'insecure-plaintext'?: boolean}
}

const KINDS: Record<string, Kind> = {namespace: 'Namespace', backend: 'Backend'}
const VALUED = new Set(['--output', '--context', '--admin-endpoint', '--timeout'])
const SWITCHES = new Set(['--json', '--debug', '--no-color', '--insecure-plaintext'])

/** The invocation, when argv is one of the forms taken here; undefined hands it to oclif. */
export function parseFastGet(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, stdoutIsTty: () => boolean = isTty): FastGet | undefined {
  const topic = TOPIC_ALIASES[argv[0] ?? ''] ?? argv[0] ?? ''
  if (argv[1] !== 'get' || !Object.hasOwn(KINDS, topic)) return undefined
  if (env.PRISMCTL_CONTENT_TYPE !== undefined || env.PRISM_FAST_PATH === '0') return undefined
  const values = new Map<string, string>()
  const switches = new Set<string>()
  const names: string[] = []
  const rest = argv.slice(2)
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!
    const eq = arg.indexOf('=')
    const flag = arg === '-o' ? '--output' : arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg
    if (VALUED.has(flag)) {
      const value = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : rest[++i]
      if (value === undefined || value === '' || value.startsWith('-') || values.has(flag)) return undefined
      values.set(flag, value)
    } else if (SWITCHES.has(arg)) {
      if (switches.has(arg)) return undefined
      switches.add(arg)
    } else if (!arg.startsWith('-') && arg !== '') {
      names.push(arg)
    } else {
      return undefined
    }
  }
  const output = values.get('--output')
  const json = switches.has('--json')
  // One name; a known format; not -o with --json (a usage error oclif words); oclif colours JSON on a terminal.
  if (names.length !== 1 || (output !== undefined && !(OUTPUT_FORMATS as readonly string[]).includes(output))) return undefined
  if (json && (output !== undefined || stdoutIsTty())) return undefined
  const flags: FastGet['flags'] = {timeout: values.get('--timeout') ?? '10s'}
  if (values.has('--context')) flags.context = values.get('--context')!
  if (values.has('--admin-endpoint')) flags['admin-endpoint'] = values.get('--admin-endpoint')!
  if (switches.has('--insecure-plaintext')) flags['insecure-plaintext'] = true
  return {kind: KINDS[topic]!, name: names[0]!, output: output as OutputFormat | undefined, json, flags}
}

/** Runs the invocation when it is one of the forms taken here; false when oclif should run it instead. */
export async function runFastGet(argv: readonly string[]): Promise<boolean> {
  const invocation = parseFastGet(argv)
  if (!invocation) return false
  applyOutputFlags()
  const {kind, name, json} = invocation
  try {
    const resource = await getResource(kind, name, connectionOf(invocation.flags))
    writeStdout(json ? `${JSON.stringify(resourcesJson(kind, [resource], {single: true}), null, 2)}\n` : `${renderResources(kind, [resource], invocation.output ?? 'table', {single: true})}\n`)
  } catch (err) {
    reportError(asPrismError(err), json, err)
  }
  return true
}
