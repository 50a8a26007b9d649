/**
 * --debug output: written to stderr, always through redact(), so tokens and passwords never reach a terminal or a
 * CI log even when a developer debugs an auth problem.
 */
let enabled = false

export function setDebug(on: boolean): void {
  enabled = on
}

/*
 * Secrets are found by where they are, never by words in the text: a message that says "field \"password\"" or a
 * hint with a postgres://user:PASSWORD@host placeholder stays as written. The places: a JWT (by its form), the value
 * after "Bearer ", the value of a secret key in JSON (any JSON type) or in form/query parameters, and the password
 * of a URL's user info. Values known to be secrets by their field (YAML documents) are never put into a message in
 * the first place (src/model/secret-fields.ts).
 */
const JWT = /\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g
// Not "token" or a small word: "no bearer token was sent" and "the bearer is not a valid signed JWT" are messages,
// not credentials (a credential that is one of these words is not worth garbling every such message for).
const BEARER = /(bearer\s+)(?!(?:tokens?|is|was|has|had|of|for|from|and|or|not|in|the|an?)(?=[\s"',]|$))[^\s"',]+/gi
const SECRET_KEYS = 'password|client_secret|clientSecret|refresh_token|refreshToken|access_token|accessToken|id_token|idToken|token|secret'
/** "key": value in JSON, whatever the value's type (string, number, boolean, object, array). */
const JSON_SECRET = new RegExp(`("(?:${SECRET_KEYS})"\\s*:\\s*)("(?:[^"\\\\]|\\\\.)*"|\\{[^{}]*\\}|\\[[^\\[\\]]*\\]|[^\\s,}\\]]+)`, 'g')
/** key=value in a form body or a query string. */
const FORM_SECRET = new RegExp(`((?:^|[?&\\s])(?:${SECRET_KEYS})=)[^&\\s"]+`, 'g')
// The password of a URL's user info: postgres://user:pw@host, up to the last "@" (an "@" in it stays hidden). A
// password with a space, a quote or a "/" is out of its reach: where the URL is known, redactKnown() hides it.
const URL_PASSWORD = /(\/\/[^:@/\s"]*:)[^/\s"]*@/g

/** For text that may carry user data or protocol traffic (messages, --debug lines); not for hints we wrote. */
export function redact(text: string): string {
  return text.replace(JWT, '[REDACTED-JWT]').replace(BEARER, '$1[REDACTED]').replace(JSON_SECRET, '$1"[REDACTED]"').replace(FORM_SECRET, '$1[REDACTED]').replace(URL_PASSWORD, '$1[REDACTED]@')
}

/** Shorter known secrets are hidden only where they stand alone, not inside words ("p" in "postgres"). */
const SHORT_SECRET = 8
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * redact(), after hiding the secrets known to the caller (a store URL's password, a backend's): every occurrence, or
 * for a short one every occurrence not inside a word, since hiding each "p" of a text would both garble it and show
 * which letters the secret is made of.
 */
export function redactKnown(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text
  for (const secret of secrets) {
    if (!secret) continue
    out = secret.length >= SHORT_SECRET ? out.split(secret).join('[REDACTED]') : out.replace(new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(secret)}(?![\\p{L}\\p{N}])`, 'gu'), '[REDACTED]')
  }
  return redact(out)
}

/** Where a URL's user-info password is: between the user name's ":" and the last "@" (so "@", "/" or spaces in it count). */
function passwordSpan(url: string): {start: number; end: number} | undefined {
  const scheme = url.indexOf('://')
  if (scheme < 0) return undefined
  const at = url.lastIndexOf('@')
  const colon = url.indexOf(':', scheme + 3)
  if (at < scheme || colon < 0 || colon > at || colon + 1 === at) return undefined
  return {start: colon + 1, end: at}
}

/**
 * The password of a URL's user info, as written and percent-decoded, for redactKnown() on messages about the URL
 * (a driver's error may quote either).
 */
export function urlPasswords(url: string): string[] {
  const span = passwordSpan(url)
  if (!span) return []
  const written = url.slice(span.start, span.end)
  let decoded = written
  try {
    decoded = decodeURIComponent(written)
  } catch {
    // Not percent-encoding: the password is what is written.
  }
  return decoded === written ? [written] : [written, decoded]
}

/** A URL to show: its user-info password replaced where it stands, then redact() for the rest (a ?password=…). */
export function showableUrl(url: string): string {
  const span = passwordSpan(url)
  return redact(span ? `${url.slice(0, span.start)}[REDACTED]${url.slice(span.end)}` : url)
}

const SECRET_KEY = new RegExp(`^(?:${SECRET_KEYS})$`)

/** A JSON value with every string redacted and the value of every secret key replaced, whatever its type. */
export function redactJson(value: unknown): unknown {
  if (typeof value === 'string') return redact(value)
  if (Array.isArray(value)) return value.map(redactJson)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, SECRET_KEY.test(key) && v !== undefined ? '[REDACTED]' : redactJson(v)]))
  }
  return value
}

export function debug(message: string): void {
  if (enabled) process.stderr.write(`[debug] ${redact(message)}\n`)
}
