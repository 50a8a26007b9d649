/**
 * Server side of error reporting: a thrown PrismError becomes a gRPC status with the same code, the message as
 * status details, and a google.rpc.Status in the `grpc-status-details-bin` trailer carrying the hint
 * (google.rpc.Help is not in our contract, so the hint travels as a `prism-hint` trailer) and field violations
 * (google.rpc.BadRequest), so clients can point at the offending YAML field. Anything else is an INTERNAL error
 * whose details stay in the server log.
 */
import {create, toBinary} from '@bufbuild/protobuf'
import {anyPack} from '@bufbuild/protobuf/wkt'
import type * as grpc from '@grpc/grpc-js'

import {isPrismError} from '../errors.js'
import {BadRequest_FieldViolationSchema, BadRequestSchema} from '../gen/google/rpc/error_details_pb.js'
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
    const status = create(StatusSchema, {code, message: err.message})
    if (err.violations.length > 0) {
      const badRequest = create(BadRequestSchema, {
        fieldViolations: err.violations.map((v) => create(BadRequest_FieldViolationSchema, {field: v.field, description: v.description})),
      })
      status.details.push(anyPack(BadRequestSchema, badRequest))
    }
    metadata.set(STATUS_DETAILS_KEY, Buffer.from(toBinary(StatusSchema, status)))
    if (err.hint) metadata.set(HINT_KEY, encodeURIComponent(err.hint))
    return {code, details: err.message, metadata}
  }
}
