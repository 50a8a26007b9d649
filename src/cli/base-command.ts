/**
 * Every command extends this: global flags (--context, --json, --no-color, --debug), one way to render errors,
 * and exit codes 0/1/2. Commands stay thin: parse, call one module function, render.
 */
import {Command, Flags, Interfaces} from '@oclif/core'

import {asPrismError, isPrismError, PrismError, usageError} from '../errors.js'
import {didYouMean} from '../model/suggest.js'
import {applyOutputFlags, reportError} from './output.js'

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    context: Flags.string({description: 'Context from config.yaml to use (default: the current context)', helpGroup: 'GLOBAL'}),
    'no-color': Flags.boolean({description: 'Disable colors (NO_COLOR is respected too)', helpGroup: 'GLOBAL'}),
    debug: Flags.boolean({description: 'Print diagnostic details to stderr (secrets redacted)', helpGroup: 'GLOBAL'}),
  }

  protected flags!: CommandFlags<T>
  protected args!: CommandArgs<T>
  /** Every positional argument, for commands with `strict = false` that take a list (e.g. paths). */
  protected positionals: string[] = []

  public override async init(): Promise<void> {
    // Before parsing, so that even a usage error honours these.
    applyOutputFlags()
    await super.init()
    const {args, argv, flags} = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: withoutStdin(this.ctor.args),
      strict: this.ctor.strict,
    }).finally(() => {
      // oclif warns "did not parse its arguments" (outside production) when parse() itself rejected the command line.
      this.parsed = true
    })
    this.flags = flags as CommandFlags<T>
    this.positionals = argv as string[]
    this.args = args as CommandArgs<T>
  }

  /** Writes a line to stdout unless --json is on (then only the returned object is printed). */
  protected out(line = ''): void {
    if (!this.jsonEnabled()) process.stdout.write(`${line}\n`)
  }

  /**
   * The -o format in effect. --json and -o json are one request and give one shape (the command's return value);
   * --json with another -o asks for two formats at once, a usage error. Without either: table.
   */
  protected outputFormat<F extends string>(output: F | undefined): F | 'json' | 'table' {
    if (!this.jsonEnabled()) return output ?? 'table'
    if (output !== undefined && output !== 'json') throw usageError(`-o ${output} cannot be combined with --json`, '--json prints the same JSON as -o json; give one of them.')
    return 'json'
  }

  /** Progress and notes for people: stderr, never in --json mode. */
  protected note(line: string): void {
    if (!this.jsonEnabled()) process.stderr.write(`${line}\n`)
  }

  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    // oclif's own exits (help, version) are not errors.
    if (err.oclif?.exit === 0) throw err
    // oclif's parse errors (missing, unexpected or invalid flags and arguments) all carry exit 2.
    const prism: PrismError =
      !isPrismError(err) && err.oclif?.exit === 2
        ? usageErrorFrom(spelledFlags(this.withFlagSuggestion(err), this.ctor), `See: ${this.config.bin} ${this.id?.replaceAll(':', ' ') ?? ''} --help`)
        : asPrismError(err)
    reportError(prism, this.jsonEnabled(), err)
    return undefined
  }

  /** oclif's "Nonexistent flag: --fiel", with "did you mean" when one of the command's flags is a typo away. */
  private withFlagSuggestion(err: Error & {flags?: unknown}): string {
    if (!Array.isArray(err.flags) || err.flags.length !== 1) return err.message
    const [first, ...rest] = err.message.split('\n')
    return [`${first}${didYouMean(String(err.flags[0]).split('=')[0]!, flagSpellings(this.ctor))}`, ...rest].join('\n')
  }
}

/** oclif says "Missing required flag file"; name the flag as it is typed: "-f/--file". */
function spelledFlags(message: string, ctor: typeof Command): string {
  return message.replace(/^(\s*)Missing required flag (\S+)/m, (all, indent: string, name: string) => {
    const flag = {...ctor.baseFlags, ...ctor.flags}[name]
    return flag ? `${indent}Missing required flag ${flag.char ? `-${flag.char}/` : ''}--${name}` : all
  })
}

/** The flags a user may type for a command, as typed: --name and --alias for each, --json and --help. */
function flagSpellings(ctor: typeof Command): string[] {
  const flags = {...ctor.baseFlags, ...ctor.flags}
  const names = Object.entries(flags).flatMap(([name, f]) => [`--${name}`, ...(f.aliases ?? []).map((a) => `--${a}`)])
  return [...names, ...(ctor.enableJsonFlag ? ['--json'] : []), '--help']
}

/**
 * oclif reads a missing argument from piped stdin: `… | prismctl backend register -f -` would take the YAML as the
 * backend NAME. Standard input belongs to `-f -` and --password-stdin, so no argument ever reads it.
 */
function withoutStdin(args: Interfaces.ArgInput | undefined): Interfaces.ArgInput {
  return Object.fromEntries(Object.entries(args ?? {}).map(([name, arg]) => [name, {...arg, ignoreStdin: true}]))
}

/**
 * oclif's parse errors span several lines, sometimes behind a bare header ("The following error occurred:") and
 * with a "See more help" trailer; keep the lines that say what is wrong, the first as the message.
 */
function usageErrorFrom(message: string, hint: string): PrismError {
  const lines = message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && line !== 'The following error occurred:' && !line.startsWith('See more help'))
  return usageError(lines[0] ?? message, hint, lines.slice(1))
}
