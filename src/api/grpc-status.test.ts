import {fromBinary} from '@bufbuild/protobuf'
import {anyUnpack} from '@bufbuild/protobuf/wkt'
import * as grpc from '@grpc/grpc-js'
import {describe, expect, it} from 'vitest'

import {PrismError} from '../errors.js'
import {BadRequestSchema, PreconditionFailureSchema} from '../gen/google/rpc/error_details_pb.js'
import {StatusSchema} from '../gen/google/rpc/status_pb.js'
import {GRPC_CODES, HINT_KEY, STATUS_DETAILS_KEY, statusMapper} from './grpc-status.js'

const toStatus = statusMapper(grpc)

function trailer(status: ReturnType<typeof toStatus>) {
  const raw = status.metadata!.get(STATUS_DETAILS_KEY)[0] as Buffer
  const decoded = fromBinary(StatusSchema, raw)
  return {
    bytes: raw.length,
    message: decoded.message,
    fields: decoded.details.flatMap((any) => anyUnpack(any, BadRequestSchema)?.fieldViolations ?? []).map((v) => `${v.field}: ${v.description}`),
    preconditions: decoded.details.flatMap((any) => anyUnpack(any, PreconditionFailureSchema)?.violations ?? []).map((v) => `${v.subject}: ${v.description}`),
  }
}

describe('statusMapper', () => {
  it('carries code, message, hint, field violations and preconditions', () => {
    const status = toStatus(
      new PrismError('Backend redis-a is bound by namespace orders', {code: 'FAILED_PRECONDITION', hint: 'Rebind it; then retry', details: ['namespace/orders: binds backend redis-a'], violations: [{field: 'name', description: 'is wrong'}]}),
    )
    expect([status.code, status.details]).toEqual([GRPC_CODES.FAILED_PRECONDITION, 'Backend redis-a is bound by namespace orders'])
    expect(decodeURIComponent(status.metadata!.get(HINT_KEY)[0] as string)).toBe('Rebind it; then retry')
    expect(trailer(status)).toMatchObject({fields: ['name: is wrong'], preconditions: ['namespace/orders: binds backend redis-a']})
  })

  it('keeps the trailers small however many problems there are: message cut, one budget for all violations, the rest summarised', () => {
    const details = Array.from({length: 3000}, (_, i) => `namespace/namespace-number-${i}: binds backend redis-a`)
    const violations = Array.from({length: 40}, (_, i) => ({field: `labels["k${i}"]`, description: 'values must be at most 256 characters, got 300'}))
    const status = toStatus(new PrismError(`Backend redis-a is bound by ${details.join(', ')}`, {code: 'FAILED_PRECONDITION', details, violations}))
    const t = trailer(status)
    expect(t.bytes).toBeLessThan(6 * 1024)
    expect((status.details as string).length).toBeLessThanOrEqual(1001)
    expect(t.message).toBe(status.details)
    expect(t.fields).toHaveLength(40)
    expect(t.preconditions.slice(0, 2)).toEqual(['namespace/namespace-number-0: binds backend redis-a', 'namespace/namespace-number-1: binds backend redis-a'])
    const listed = t.preconditions.length - 1
    expect(listed).toBeGreaterThan(10)
    expect(t.preconditions[listed]).toBe(`: …and ${3000 - listed} more`)
  })

  it('reduces anything but a PrismError with a gRPC code name to INTERNAL, and reports it', () => {
    const seen: unknown[] = []
    const internal = statusMapper(grpc, (err) => seen.push(err))
    const boom = new Error('boom')
    expect(internal(boom)).toEqual({code: GRPC_CODES.INTERNAL, details: 'internal error in the control plane; see its log'})
    expect(internal(new PrismError('usage', {code: 'USAGE'})).code).toBe(GRPC_CODES.INTERNAL)
    expect(seen[0]).toBe(boom)
  })
})
