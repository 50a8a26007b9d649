import {create, toBinary} from '@bufbuild/protobuf'
import {anyPack} from '@bufbuild/protobuf/wkt'
import {describe, expect, it} from 'vitest'

import {PrismError} from '../errors.js'
import {BadRequestSchema} from '../gen/google/rpc/error_details_pb.js'
import {StatusSchema} from '../gen/google/rpc/status_pb.js'
import {toPrismError, type GrpcFailure} from './grpc-errors.js'
import {GRPC_CODES, HINT_KEY, STATUS_DETAILS_KEY} from './grpc-status.js'

function failure(code: keyof typeof GRPC_CODES, details: string, trailers: Record<string, string | Buffer> = {}): GrpcFailure {
  return {code: GRPC_CODES[code], details, metadata: {get: (key) => (trailers[key] === undefined ? [] : [trailers[key]!])}}
}

const endpoint = '127.0.0.1:1234'
const ns = {endpoint, kind: 'Namespace' as const, name: 'team-alpha'}

describe('toPrismError', () => {
  it('says the control plane cannot be reached, and how to point prismctl at one', () => {
    const err = toPrismError(failure('UNAVAILABLE', 'No connection established. Last error: Error: connect ECONNREFUSED. Resolution note: '), {endpoint})
    expect(err.message).toBe('cannot reach the control plane at 127.0.0.1:1234')
    expect(err.code).toBe('UNAVAILABLE')
    expect(err.exitCode).toBe(1)
    expect(err.hint).toContain('prismctl admin serve')
    expect(err.hint).toContain('--admin-endpoint')
    expect(err.details).toEqual(['connect ECONNREFUSED'])
  })

  it('tells a control plane that answers UNAVAILABLE (its issuer or store is down) from one that cannot be reached', () => {
    const trailers = {[HINT_KEY]: encodeURIComponent('Check that the issuer is reachable from the server, or pass --jwks-url.')}
    const err = toPrismError(failure('UNAVAILABLE', 'cannot read the OIDC discovery document at http://127.0.0.1:9/dex/.well-known/openid-configuration: fetch failed', trailers), {endpoint})
    expect(err.message).toBe('the control plane at 127.0.0.1:1234 is unavailable: cannot read the OIDC discovery document at http://127.0.0.1:9/dex/.well-known/openid-configuration: fetch failed')
    expect(err.code).toBe('UNAVAILABLE')
    expect(err.hint).toBe("Check that the issuer is reachable from the server, or pass --jwks-url. (on the control plane's side; retry once it is fixed)")
  })

  it('names the missing resource and the list command', () => {
    const err = toPrismError(failure('NOT_FOUND', 'no such namespace'), ns)
    expect(err.message).toBe('namespace "team-alpha" not found')
    expect(err.hint).toContain('prismctl namespace list')
    expect(toPrismError(failure('NOT_FOUND', 'x'), {endpoint, kind: 'Backend', name: 'redis-dev'}).hint).toContain('prismctl backend list')
  })

  it('points at apply for an existing resource, and at get for a conflict', () => {
    expect(toPrismError(failure('ALREADY_EXISTS', 'exists'), ns).hint).toContain('prismctl namespace apply')
    const conflict = toPrismError(failure('ABORTED', 'stored version is 3, expected 2'), ns)
    expect(conflict.code).toBe('ABORTED')
    expect(conflict.message).toContain('stored version is 3, expected 2')
    expect(conflict.hint).toContain('prismctl namespace get team-alpha -o yaml')
  })

  it('carries the field violations from the status details trailer', () => {
    const status = create(StatusSchema, {
      code: GRPC_CODES.INVALID_ARGUMENT,
      message: 'namespace is invalid',
      details: [
        anyPack(
          BadRequestSchema,
          create(BadRequestSchema, {
            fieldViolations: [
              {field: 'patterns[0].requires[0].backend', description: 'backend "nope" is not registered'},
              // The server's summary of what did not fit in the trailer has no field.
              {field: '', description: '…and 3 more'},
            ],
          }),
        ),
      ],
    })
    const err = toPrismError(failure('INVALID_ARGUMENT', 'namespace is invalid', {[STATUS_DETAILS_KEY]: Buffer.from(toBinary(StatusSchema, status))}), ns)
    expect(err.code).toBe('INVALID_ARGUMENT')
    expect(err.violations).toEqual([
      {field: 'patterns[0].requires[0].backend', description: 'backend "nope" is not registered'},
      {field: '', description: '…and 3 more'},
    ])
    expect(err.details).toEqual(['patterns[0].requires[0].backend: backend "nope" is not registered', '…and 3 more'])
  })

  it('shows the server message for permission problems, with its hint, and sends unauthenticated users to login', () => {
    const denied = toPrismError(failure('PERMISSION_DENIED', 'ApplyNamespace needs role operator; you have viewer', {[HINT_KEY]: encodeURIComponent('Ask for the operator role.')}), ns)
    expect(denied.message).toContain('needs role operator')
    expect(denied.hint).toBe('Ask for the operator role.')
    expect(toPrismError(failure('UNAUTHENTICATED', 'token expired'), {...ns, context: 'prod'}).hint).toBe('Log in with: prismctl login --context prod')
  })

  it('reports deadlines, overload and anything else with the code', () => {
    expect(toPrismError(failure('DEADLINE_EXCEEDED', 'Deadline exceeded'), {...ns, timeoutMs: 2500}).message).toBe('the control plane at 127.0.0.1:1234 did not answer within 2.5s')
    expect(toPrismError(failure('RESOURCE_EXHAUSTED', 'rate limited'), ns).code).toBe('RESOURCE_EXHAUSTED')
    const tooBig = toPrismError(failure('RESOURCE_EXHAUSTED', 'Received message larger than max (3000025 vs 1048576)'), ns)
    expect(tooBig.message).toBe('the request is too large for the control plane at 127.0.0.1:1234: Received message larger than max (3000025 vs 1048576)')
    expect(tooBig.hint).toMatch(/^Make the resource smaller/)
    const internal = toPrismError(failure('INTERNAL', 'boom'), ns)
    expect(internal.code).toBe('INTERNAL')
    expect(internal.message).toContain('boom')
  })

  it('passes PrismErrors through and wraps errors without a status code', () => {
    const mine = new PrismError('already mapped')
    expect(toPrismError(mine, ns)).toBe(mine)
    expect(toPrismError(new Error('socket hang up'), ns).message).toContain('socket hang up')
  })
})
