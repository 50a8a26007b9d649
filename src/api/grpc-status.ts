/**
 * Server side of error reporting: a thrown PrismError becomes a gRPC status with the same code, the message as
 * status details, and a google.rpc.Status in the `grpc-status-details-bin` trailer carrying the hint
 * field violations (google.rpc.BadRequest), so clients can point at the offending YAML field; for
 * FAILED_PRECONDITION, each detail line "subject: description" becomes a google.rpc.PreconditionFailure violation.
 * google.rpc.Help is not in our contract, so the hint travels URI-encoded in a `prism-hint` trailer. Anything else
 * is an INTERNAL error whose details stay in the server log.
 */
import {create, toBinary} from '@bufbuild/protobuf'
import {anyPack} from '@bufbuild/protobuf/wkt'
import type * as grpc from '@grpc/grpc-js'

import {isPrismError} from '../errors.js'
import {BadRequest_FieldViolationSchema, BadRequestSchema, PreconditionFailure_ViolationSchema, PreconditionFailureSchema} from '../gen/google/rpc/error_details_pb.js'
import {StatusSchema} from '../gen/google/rpc/status_pb.js'

/** gRPC status codes by name (the names PrismError.code uses). */
export const GRPC_CODES: Readonly<Record<string, number>> = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
}

const NAMES = Object.fromEntries(Object.entries(GRPC_CODES).map(([name, code]) => [code, name])) as Record<number, string>

export function grpcCodeName(code: number): string {
  return NAMES[code] ?? 'UNKNOWN'
}

/**
 * Trailers must fit the client's metadata limit (grpc-js accepts 8 KiB by default, more is a protocol error that
 * the client sees as a failed call, or never sees: the call then hangs until its deadline), so the message is cut
 * and the violations carried (field and precondition alike) share one budget, the rest summarised.
 */
const DETAILS_BUDGET = 5000
const MESSAGE_BUDGET = 1000

/** The entries that fit what is left of the budget (sized by their strings), then one entry summarising the rest. */
function withinBudget<V extends object>(entries: V[], budget: {left: number}, more: (count: number) => V): V[] {
  for (const [i, entry] of entries.entries()) {
    for (const [key, value] of Object.entries(entry)) if (key !== '$typeName' && typeof value === 'string') budget.left -= value.length + 4
    if (budget.left < 0) return [...entries.slice(0, i), more(entries.length - i)]
  }
  return entries
}

export const STATUS_DETAILS_KEY = 'grpc-status-details-bin'
export const HINT_KEY = 'prism-hint'

/**
 * Returns the mapper addService() wants. `onInternal` sees unexpected errors (for the server log) before they are
 * reduced to a bare INTERNAL status.
 */
export function statusMapper(grpcModule: typeof grpc, onInternal: (err: unknown) => void = () => {}): (err: unknown) => Partial<grpc.StatusObject> {
  return (err) => {
    if (!isPrismError(err) || GRPC_CODES[err.code] === undefined) {
      onInternal(err)
      return {code: GRPC_CODES.INTERNAL, details: 'internal error in the control plane; see its log'}
    }
    const code = GRPC_CODES[err.code]!
    const metadata = new grpcModule.Metadata()
    const message = err.message.length > MESSAGE_BUDGET ? `${err.message.slice(0, MESSAGE_BUDGET)}…` : err.message
    const status = create(StatusSchema, {code, message})
    const budget = {left: DETAILS_BUDGET}
    if (err.violations.length > 0) {
      const fieldViolations = withinBudget(
        err.violations.map((v) => create(BadRequest_FieldViolationSchema, {field: v.field, description: v.description})),
        budget,
        (n) => create(BadRequest_FieldViolationSchema, {field: '', description: `…and ${n} more problems; fix these first`}),
      )
      status.details.push(anyPack(BadRequestSchema, create(BadRequestSchema, {fieldViolations})))
    }
    if (err.code === 'FAILED_PRECONDITION' && err.details.length > 0) {
      const violations = withinBudget(
        err.details.map((line) => {
          const at = line.indexOf(': ')
          return create(PreconditionFailure_ViolationSchema, {type: err.code, subject: at > 0 ? line.slice(0, at) : line, description: at > 0 ? line.slice(at + 2) : message})
        }),
        budget,
        (n) => create(PreconditionFailure_ViolationSchema, {type: err.code, subject: '', description: `…and ${n} more`}),
      )
      status.details.push(anyPack(PreconditionFailureSchema, create(PreconditionFailureSchema, {violations})))
    }
    metadata.set(STATUS_DETAILS_KEY, Buffer.from(toBinary(StatusSchema, status)))
    if (err.hint) metadata.set(HINT_KEY, encodeURIComponent(err.hint))
    return {code, details: message, metadata}
  }
}
