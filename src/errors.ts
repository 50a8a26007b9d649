/**
 * The one error type every module throws for a failure the user can act on. Commands print `message`, then `hint`,
 * and exit with `exitCode`; nothing else reaches the terminal unless --debug.
 */
export interface PrismErrorOptions {
  hint?: string
  /** 1: the operation failed; 2: the command line itself is wrong; 130: interrupted (SIGINT), as shells count it. */
  exitCode?: ExitCode
  /** Stable machine-readable code for --json output, e.g. NOT_FOUND, INVALID_ARGUMENT, UNREACHABLE. */
  code?: string
  /** Individual problems, e.g. every validation error of a file; a plain string is a detail with only a message. */
  details?: (string | Detail)[]
  /** Field-level problems (proto3 JSON paths such as `patterns[1].requires[0].backend`), carried over gRPC. */
  violations?: FieldViolation[]
  /** What was done before the failure (e.g. the outcome of every document of an apply): --json prints it too. */
  result?: Record<string, unknown>
  cause?: unknown
}

export type ExitCode = 1 | 2 | 130

/** One problem, located as precisely as is known: `ns.yaml:12:7: patterns[1].name: message`. */
export interface Detail {
  file?: string
  line?: number
  column?: number
  /** proto3 JSON path, e.g. `patterns[1].requires[0].slot`. */
  path?: string
  message: string
}

export interface FieldViolation {
  field: string
  description: string
}

/** "ns.yaml:12:7: patterns[1].requires[0].slot: message" — parts that are unknown are left out. */
export function formatDetail(d: Detail): string {
  let where = d.file ?? ''
  if (d.file !== undefined && d.line !== undefined) where += `:${d.line}` + (d.column === undefined ? '' : `:${d.column}`)
  return [where, d.path, d.message].filter(Boolean).join(': ')
}

export class PrismError extends Error {
  readonly hint?: string
  readonly exitCode: ExitCode
  readonly code: string
  /** Structured, for --json; `details` is the same as text lines. */
  readonly problems: Detail[]
  readonly violations: FieldViolation[]
  readonly result?: Record<string, unknown>

  constructor(message: string, options: PrismErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'PrismError'
    this.hint = options.hint
    this.exitCode = options.exitCode ?? 1
    this.code = options.code ?? 'ERROR'
    this.problems = (options.details ?? []).map((d) => (typeof d === 'string' ? {message: d} : d))
    this.violations = options.violations ?? []
    this.result = options.result
  }

  /** The problems as the lines a person reads. */
  get details(): string[] {
    return this.problems.map(formatDetail)
  }
}

/** The same error, carrying what was done before it (see PrismErrorOptions.result). */
export function withResult(err: PrismError, result: Record<string, unknown>): PrismError {
  const {hint, exitCode, code, problems: details, violations} = err
  return new PrismError(err.message, {hint, exitCode, code, details, violations, result, cause: err.cause ?? err})
}

/**
 * A YAML library error as one line: what is wrong and where ("... at line 7, column 11"), without the excerpt of the
 * file the library appends, which may hold a secret written on that line.
 */
export function yamlErrorLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.replace(/:$/, '')
}

export function usageError(message: string, hint?: string, details?: string[]): PrismError {
  return new PrismError(message, {hint, exitCode: 2, code: 'USAGE', details})
}

export function isPrismError(err: unknown): err is PrismError {
  return err instanceof PrismError
}

/** Any error as the one error type: an unexpected one (a bug, not the user's input) says how to see more. */
export function asPrismError(err: unknown): PrismError {
  return isPrismError(err) ? err : new PrismError((err as Error).message, {hint: 'This is unexpected; run again with --debug for details.', code: 'INTERNAL', cause: err})
}
