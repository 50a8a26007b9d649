/**
 * Runs the BUILT CLI (`node bin/run.js …`) the way a user's shell would, for end-to-end tests: its own config
 * directory, no colours, and without NODE_EXTRA_CA_CERTS (loading it costs ~75 ms per spawn here).
 */
import {spawn, type ChildProcess, type ChildProcessWithoutNullStreams} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const BIN = join(ROOT, 'bin/run.js')

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

export interface RunOptions {
  /** PRISM_CONFIG_DIR for the run; a fresh temporary directory when absent. */
  configDir?: string
  /** Added to (or, when undefined, removed from) the child's environment. */
  env?: Record<string, string | undefined>
  /** Written to stdin, which is then closed; stdin is empty otherwise. */
  input?: string
  cwd?: string
  /** The child is killed after this long (the test then fails on its exit code). */
  timeoutMs?: number
  /** Sees stderr so far each time more arrives, e.g. to act on a device code or to send a signal. */
  onStderr?: (stderr: string, child: ChildProcess) => void
  /** The same for stdout, e.g. to interrupt a command once it has printed some results. */
  onStdout?: (stdout: string, child: ChildProcess) => void
}

/** A new private temporary directory, e.g. for PRISM_CONFIG_DIR shared by several runs. */
export function tempDir(prefix = 'prismctl-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export function childEnv(options: Pick<RunOptions, 'configDir' | 'env'> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', PRISM_CONFIG_DIR: options.configDir ?? tempDir()}
  delete env.NODE_EXTRA_CA_CERTS
  // The caller's own settings must not leak into tests. CI and FORCE_COLOR change colour detection, so a
  // test would see different output on a CI machine than on a laptop.
  for (const key of Object.keys(env)) if (key.startsWith('PRISM_') && key !== 'PRISM_CONFIG_DIR') delete env[key]
  delete env.CI
  delete env.FORCE_COLOR
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key]
    else env[key] = value
  }
  return env
}

/** Collects a child's output until it exits; it is killed after timeoutMs so a hung CLI fails the test, not the run. */
function collect(child: ChildProcessWithoutNullStreams, timeoutMs = 20_000, on: {stdout?: (stdout: string) => void; stderr?: (stderr: string) => void} = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      on.stdout?.(stdout)
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
      on.stderr?.(stderr)
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code: code ?? (signal ? 128 : 1), stdout, stderr})
    })
  })
}

export function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], {cwd: options.cwd ?? ROOT, env: childEnv(options), stdio: ['pipe', 'pipe', 'pipe']})
  const result = collect(child, options.timeoutMs, {stderr: (stderr) => options.onStderr?.(stderr, child), stdout: (stdout) => options.onStdout?.(stdout, child)})
  child.stdin.end(options.input ?? '')
  return result
}

export interface TtyOptions extends Pick<RunOptions, 'configDir' | 'env' | 'timeoutMs'> {
  /** Sent once, as typed keys, when stdout first matches `when` (e.g. a prompt); nothing is typed without it. */
  reply?: {when: RegExp; send: string}
}

const shellQuote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), for what only happens on a TTY, such as confirmation
 * prompts. The reply is typed only once the prompt is on screen, so the run does not depend on timing.
 */
export function runCliOnTty(args: string[], options: TtyOptions = {}): Promise<CliResult> {
  const command = [process.execPath, BIN, ...args].map(shellQuote).join(' ')
  const child = spawn('script', ['-qec', command, '/dev/null'], {cwd: ROOT, env: childEnv(options), stdio: ['pipe', 'pipe', 'pipe']})
  let replied = false
  return collect(child, options.timeoutMs, {
    stdout: (stdout) => {
      if (replied || !options.reply?.when.test(stdout)) return
      replied = true
      child.stdin.write(options.reply.send)
    },
  })
}
