/**
 * --debug output: written to stderr, always through redact(), so tokens and passwords never reach a terminal or a
 * CI log even when a developer debugs an auth problem.
 */
let enabled = false

export function setDebug(on: boolean): void {
  enabled = on
}

const JWT = /\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g
// Not the word "token" itself: "no bearer token was sent" is a message, not a credential.
const BEARER = /(bearer\s+)(?!token\b)[^\s"',]+/gi
const SECRET_FIELD = /("?(?:password|client_secret|clientSecret|refresh_token|refreshToken|access_token|accessToken|id_token|idToken|token|secret)"?\s*[:=]\s*"?)([^"\s,}&]+)/gi
// The password of a URL's user info: postgres://user:pw@host.
const URL_PASSWORD = /(\/\/[^:@/\s]*:)[^@/\s]+@/g

export function redact(text: string): string {
  return text.replace(JWT, '[REDACTED-JWT]').replace(BEARER, '$1[REDACTED]').replace(SECRET_FIELD, '$1[REDACTED]').replace(URL_PASSWORD, '$1[REDACTED]@')
}

export function debug(message: string): void {
  if (enabled) process.stderr.write(`[debug] ${redact(message)}\n`)
}
