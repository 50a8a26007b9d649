/**
 * The HOST:PORT a server listens on (`--listen`, `--metrics-listen`): checked before anything starts (a bad one is a
 * usage error), and a failure to listen said in words rather than in grpc-js's or Node's text.
 */
import {PrismError, usageError} from '../errors.js'

export function splitListen(listen: string, flag: string): [string, number] {
  const i = listen.lastIndexOf(':')
  const port = /^\d+$/.test(listen.slice(i + 1)) ? Number(listen.slice(i + 1)) : Number.NaN
  if (i <= 0 || !(port >= 0 && port <= 65535)) {
    throw usageError(`${flag} must be HOST:PORT with a port from 0 to 65535, got "${listen}"`, `e.g. ${flag} 127.0.0.1:0 (port 0 picks a free port)`)
  }
  return [listen.slice(0, i).replace(/^\[|\]$/g, ''), port]
}

// grpc-js wraps the system error ("No address added out of total 1 resolved errors: [listen EADDRINUSE: …]"); the
// code inside is what tells the user what to do.
const REASONS: [RegExp, string][] = [
  [/EADDRINUSE/, 'the address is already in use (another process listens on that port)'],
  [/EACCES/, 'permission denied (ports below 1024 need privileges)'],
  [/EADDRNOTAVAIL/, 'this machine has no interface with that address'],
  [/ENOTFOUND|EAI_AGAIN/, 'the host name does not resolve'],
]

export function listenError(listen: string, flag: string, err: Error): PrismError {
  const reason = REASONS.find(([pattern]) => pattern.test(err.message))?.[1] ?? err.message
  return new PrismError(`cannot listen on ${listen} (${flag}): ${reason}`, {code: 'UNAVAILABLE', hint: `Pick a free port with ${flag} HOST:PORT (port 0 picks one).`, cause: err})
}
