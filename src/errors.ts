/**
 * The one error type every module throws for a failure the user can act on. Commands print `message`, then `hint`,
 * and exit with `exitCode`; nothing else reaches the terminal unless --debug.
 */
export interface PrismErrorOptions {
  hint?: string
  /** 1: the operation failed; 2: the command line itself is wrong. */
  exitCode?: 1 | 2
  /** Stable machine-readable code for --json output, e.g. NOT_FOUND, INVALID_ARGUMENT, UNREACHABLE. */
  code?: string
  /** Individual problems, e.g. every validation error of a file. */
  details?: string[]
  /** Field-level problems (proto3 JSON paths such as `patterns[1].requires[0].backend`), carried over gRPC. */
  violations?: FieldViolation[]
  cause?: unknown
}

export interface FieldViolation {
  field: string
  description: string
}

export class PrismError extends Error {
  readonly hint?: string
  readonly exitCode: 1 | 2
  readonly code: string
  readonly details: string[]
  readonly violations: FieldViolation[]

  constructor(message: string, options: PrismErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'PrismError'
    this.hint = options.hint
    this.exitCode = options.exitCode ?? 1
    this.code = options.code ?? 'ERROR'
    this.details = options.details ?? []
    this.violations = options.violations ?? []
  }
}

export function usageError(message: string, hint?: string, details?: string[]): PrismError {
  return new PrismError(message, {hint, exitCode: 2, code: 'USAGE', details})
}

export function isPrismError(err: unknown): err is PrismError {
  return err instanceof PrismError
}
