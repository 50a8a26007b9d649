/**
 * oidc-provider, imported with its known development notices silenced. It prints them through console.warn and
 * console.info, at import ("Unsupported runtime" on Node 20, which runs it fine) and later (the in-memory adapter
 * and the dev interactions are what a development issuer and the tests' provider choose; the default pages and
 * revocation policy are what they want). Users of the embedded issuer and `npm test` read none of them; any other
 * notice still comes through.
 */
const KNOWN = [
  'Unsupported runtime.',
  'a quick start development-only in-memory adapter is used',
  'a quick start development-only feature devInteractions is enabled',
  'already parsed request body detected',
]
// "default features.deviceFlow.successSource function called, you SHOULD change it …": NOTICEs only, not the MUSTs.
const DEFAULT_SHOULD = /^default \S+ function called, you SHOULD /

function isKnown(line: unknown): boolean {
  if (typeof line !== 'string') return false
  // Coloured on a terminal: the text starts after the escape sequence.
  const at = line.search(/oidc-provider (WARNING|NOTICE): /)
  if (at < 0) return false
  const text = line.slice(line.indexOf(': ', at) + 2)
  return KNOWN.some((k) => text.startsWith(k)) || DEFAULT_SHOULD.test(text)
}

let installed = false

function installFilter(): void {
  if (installed) return
  installed = true
  for (const level of ['warn', 'info'] as const) {
    const original = console[level].bind(console)
    console[level] = (...args: unknown[]) => {
      if (args.length === 1 && isKnown(args[0])) return
      original(...args)
    }
  }
}

export async function loadOidcProvider(): Promise<typeof import('oidc-provider')> {
  installFilter()
  return await import('oidc-provider')
}
