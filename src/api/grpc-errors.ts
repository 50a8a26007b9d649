/**
 * Client side of error reporting: a failed gRPC call becomes one PrismError that says what failed, where, and what
 * to do next. Field violations (google.rpc.BadRequest in the `grpc-status-details-bin` trailer) are kept as
 * structured violations so callers can point at the YAML line they came from. Pure: takes the error grpc-js hands
 * back, never imports grpc-js itself.
 */
import {fromBinary} from '@bufbuild/protobuf'
import {anyIs, anyUnpack} from '@bufbuild/protobuf/wkt'

import {PrismError, type FieldViolation} from '../errors.js'
import {BadRequestSchema, PreconditionFailureSchema} from '../gen/google/rpc/error_details_pb.js'
import {StatusSchema} from '../gen/google/rpc/status_pb.js'
import type {Kind} from '../model/documents.js'
import {grpcCodeName, HINT_KEY, STATUS_DETAILS_KEY} from './grpc-status.js'

/** What grpc-js rejects a call with (grpc.ServiceError), reduced to the parts we read. */
export interface GrpcFailure {
  code?: number
  details?: string
  message?: string
  metadata?: {get(key: string): (string | Buffer)[]}
}

/** What the call was about, so messages can name it. */
export interface CallSubject {
  /** host:port of the server. */
  endpoint: string
  /** Which server was called; the control plane when absent. */
  peer?: Peer
  /** Context name, for `prismctl login --context …` hints. */
  context?: string
  kind?: Kind
  name?: string
  /** Per-call deadline, for the DEADLINE_EXCEEDED message. */
  timeoutMs?: number
  /** Whether the call went over TLS, for the hints on connection failures. */
  tls?: boolean
}

/** What Node's TLS layer says when a handshake fails: an unverifiable certificate, a refused client, a non-TLS peer. */
const TLS_PROBLEM = /certificate|self[- ]signed|unable to verify|altnames|ssl|tls|handshake|alert|wrong version number/i

interface StatusDetails {
  violations: FieldViolation[]
  preconditions: string[]
  serverHint?: string
}

function readDetails(failure: GrpcFailure): StatusDetails {
  const result: StatusDetails = {violations: [], preconditions: []}
  const hint = failure.metadata?.get(HINT_KEY)[0]
  if (typeof hint === 'string' && hint !== '') {
    try {
      result.serverHint = decodeURIComponent(hint)
    } catch {
      result.serverHint = hint
    }
  }
  const raw = failure.metadata?.get(STATUS_DETAILS_KEY)[0]
  if (!raw || typeof raw === 'string') return result
  try {
    const status = fromBinary(StatusSchema, raw)
    for (const any of status.details) {
      if (anyIs(any, BadRequestSchema)) {
        for (const v of anyUnpack(any, BadRequestSchema)!.fieldViolations) result.violations.push({field: v.field, description: v.description})
      } else if (anyIs(any, PreconditionFailureSchema)) {
        for (const v of anyUnpack(any, PreconditionFailureSchema)!.violations) result.preconditions.push(labelled(v.subject, v.description))
      }
    }
  } catch {
    // A malformed trailer must not hide the status itself.
  }
  return result
}

function serverMessage(failure: GrpcFailure): string {
  return failure.details || failure.message || 'no message'
}

/** grpc-js says "No connection established. Last error: Error: connect ECONNREFUSED …. Resolution note: "; keep the cause. */
function connectionProblem(message: string): string {
  const cause = /Last error: (?:Error: )?(.*?)(?:\. Resolution note:.*)?$/s.exec(message)?.[1]
  return cause || message
}

/** `field: problem`; the server's summary entries ("…and N more") have no field. */
function labelled(label: string, text: string): string {
  return label ? `${label}: ${text}` : text
}

function what(subject: CallSubject): string | undefined {
  return subject.kind && subject.name ? `${subject.kind.toLowerCase()} "${subject.name}"` : undefined
}

function contextFlag(subject: CallSubject): string {
  return subject.context && subject.context !== 'default' ? ` --context ${subject.context}` : ''
}

export type Peer = 'control plane' | 'proxy'

/** How to start each server and where prismctl looks for it, for the hints. */
const PEER_HINTS: Record<Peer, {start: string; where: string}> = {
  'control plane': {start: 'prismctl admin serve', where: '--admin-endpoint, PRISM_ADMIN_ENDPOINT'},
  proxy: {start: 'prismctl proxy serve', where: '--proxy-endpoint, PRISM_PROXY_ENDPOINT'},
}

/** Maps a rejected call to a PrismError; anything that is already a PrismError passes through. */
function unreachable(peer: Peer, subject: CallSubject, problem: string, base: ConstructorParameters<typeof PrismError>[1]): PrismError {
  const name = subject.context ?? 'NAME'
  if (subject.tls && TLS_PROBLEM.test(problem)) {
    return new PrismError(`cannot reach the ${peer} at ${subject.endpoint} over TLS`, {
      ...base,
      details: [problem],
      hint: `prismctl verifies the server's certificate with the context's CA file, else the system roots: if a private CA signed it, prismctl context set ${name} --ca-file CA.pem. A server that requires client certificates (--client-ca) also needs --cert-file and --key-file.`,
    })
  }
  const plaintext = subject.tls === false && !/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/.test(problem)
  return new PrismError(`cannot reach the ${peer} at ${subject.endpoint}`, {
    ...base,
    details: [problem],
    hint: `Is it running? Start one with "${PEER_HINTS[peer].start}", or point prismctl elsewhere with ${PEER_HINTS[peer].where} or a context ("prismctl context current" shows which one is in effect).${plaintext ? ` If it serves TLS: prismctl context set ${name} --tls.` : ''}`,
  })
}

export function toPrismError(err: unknown, subject: CallSubject): PrismError {
  if (err instanceof PrismError) return err
  const failure = (err ?? {}) as GrpcFailure
  const peer = subject.peer ?? 'control plane'
  if (typeof failure.code !== 'number') {
    return new PrismError(`call to the ${peer} at ${subject.endpoint} failed: ${(err as Error)?.message ?? String(err)}`, {
      hint: 'This is unexpected; run again with --debug for details.',
      code: 'INTERNAL',
      cause: err,
    })
  }
  const code = grpcCodeName(failure.code)
  const message = serverMessage(failure)
  const {violations, preconditions, serverHint} = readDetails(failure)
  const target = what(subject)
  // Messages and command hints spell the kind in lower case: `prismctl backend list`.
  const noun = subject.kind?.toLowerCase() ?? 'namespace'
  const listCommand = `prismctl ${noun} list`
  const base = {code, cause: err, violations, details: [...violations.map((v) => ({path: v.field || undefined, message: v.description})), ...preconditions]}

  switch (code) {
    case 'UNAVAILABLE':
      // A hint trailer means the server answered: it is up, but something behind it (its store, the issuer) is not.
      if (serverHint) {
        return new PrismError(`the ${peer} at ${subject.endpoint} is unavailable: ${message}`, {...base, hint: `${serverHint} (on the ${peer}'s side; retry once it is fixed)`})
      }
      return unreachable(peer, subject, connectionProblem(message), base)
    case 'DEADLINE_EXCEEDED':
      return new PrismError(
        `the ${peer} at ${subject.endpoint} did not answer within ${subject.timeoutMs ? `${subject.timeoutMs / 1000}s` : 'the deadline'}`,
        {...base, hint: 'Check that the server is healthy, or allow more time with --timeout.'},
      )
    case 'NOT_FOUND':
      return new PrismError(target ? `${target} not found` : message, {...base, hint: `See what exists with: ${listCommand}`})
    case 'ALREADY_EXISTS':
      return new PrismError(target ? `${target} already exists` : message, {
        ...base,
        hint: subject.kind === 'Backend' ? 'Change it with "prismctl backend update", or use "prismctl apply -f FILE".' : 'Use "prismctl namespace apply -f FILE" to update it.',
      })
    case 'ABORTED':
      return new PrismError(target ? `conflict on ${target}: ${message}` : `conflict: ${message}`, {
        ...base,
        hint: `Re-read it with "prismctl ${noun} get ${subject.name ?? 'NAME'} -o yaml", re-apply your change on top, and retry${subject.name ? ' with its current version' : ''}.`,
      })
    case 'INVALID_ARGUMENT':
      return new PrismError(target ? `the ${peer} rejected ${target}: ${message}` : `the ${peer} rejected the request: ${message}`, {
        ...base,
        hint: serverHint ?? 'Fix the fields listed and retry.',
      })
    case 'FAILED_PRECONDITION':
      return new PrismError(message, {...base, hint: serverHint})
    case 'UNAUTHENTICATED':
      return new PrismError(`not authenticated to the ${peer} at ${subject.endpoint}: ${message}`, {
        ...base,
        hint: `Log in with: prismctl login${contextFlag(subject)}`,
      })
    case 'PERMISSION_DENIED':
      return new PrismError(`permission denied: ${message}`, {
        ...base,
        hint: serverHint ?? 'Ask an administrator to grant you the role the message names.',
      })
    case 'RESOURCE_EXHAUSTED':
      // grpc-js's message size limit, not load: retrying the same request cannot help.
      if (/message larger than max/i.test(message)) {
        return new PrismError(`the request is too large for the ${peer} at ${subject.endpoint}: ${message}`, {
          ...base,
          hint: 'Make the resource smaller: a shorter description, fewer labels or patterns (the sizes in the message are in bytes).',
        })
      }
      return new PrismError(`the ${peer} at ${subject.endpoint} is overloaded: ${message}`, {...base, hint: serverHint ?? 'Wait a moment and retry.'})
    case 'UNIMPLEMENTED':
      return new PrismError(`the ${peer} at ${subject.endpoint} does not support this call: ${message}`, {
        ...base,
        // A control plane asked for a proxy's call (or the other way round) answers the same as an old one.
        hint: serverHint ?? `Check that ${subject.endpoint} is the ${peer} (${PEER_HINTS[peer].where} choose it), not another Prism server; if it is, it is older than prismctl: upgrade it, or use a matching prismctl version.`,
      })
    default:
      return new PrismError(`the ${peer} failed (${code}): ${message}`, {
        ...base,
        hint: serverHint ?? `Check the ${peer}'s log; run again with --debug for details.`,
      })
  }
}

/** A server stream whose failures become PrismErrors, as the unary calls' do; cancel() passes through. */
export function withPrismErrors<T>(stream: AsyncIterable<T> & {cancel(): void}, subject: CallSubject): AsyncIterable<T> & {cancel(): void} {
  return {
    cancel: () => stream.cancel(),
    async *[Symbol.asyncIterator]() {
      try {
        yield* stream
      } catch (err) {
        throw toPrismError(err, subject)
      }
    },
  }
}
