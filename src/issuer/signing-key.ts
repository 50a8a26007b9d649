/**
 * The development issuer's RS256 signing key (what Dex signs with), kept in the config directory: tokens stay valid
 * across a restart of the issuer (`dev down`, `dev up`), as Dex keeps its keys in its storage, and a start skips
 * generating a 2048-bit RSA key (~0.3 s of CPU, while the rest of the dev stack starts beside it).
 */
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {configDir, writeFileAtomic} from '../config/files.js'
import {PrismError} from '../errors.js'

export interface SigningJwk {
  kty: 'RSA'
  kid: string
  alg: 'RS256'
  use: 'sig'
  n: string
  e: string
  d: string
  [member: string]: string
}

export const signingKeyPath = (env: NodeJS.ProcessEnv = process.env) => join(configDir(env), 'dev', 'issuer-signing-key.json')

/** The key in `path`; a PrismError naming the file when it is not one. */
export function readSigningKey(path: string): SigningJwk {
  let key: Partial<SigningJwk>
  try {
    key = JSON.parse(readFileSync(path, 'utf8')) as Partial<SigningJwk>
  } catch (err) {
    // Not JSON.parse's message: it quotes the text around the mistake, a part of the private key.
    const why = (err as NodeJS.ErrnoException).code ? (err as Error).message : 'it is not valid JSON'
    throw new PrismError(`cannot read the issuer's signing key ${path}: ${why}`, {code: 'INVALID_ARGUMENT', hint: 'Remove the file: a new key is made at the next start of the stack.', cause: err})
  }
  if (key.kty !== 'RSA' || key.alg !== 'RS256' || !key.kid || !key.n || !key.e || !key.d) {
    throw new PrismError(`${path} is not an RS256 private key (a JWK with kty RSA, kid, n, e, d)`, {code: 'INVALID_ARGUMENT', hint: 'Remove the file: a new key is made at the next start of the stack.'})
  }
  return key as SigningJwk
}

/** The key in `path`, made (and written 0600) when there is none. */
export async function loadOrCreateSigningKey(path: string): Promise<SigningJwk> {
  if (existsSync(path)) return readSigningKey(path)
  const jose = await import('jose')
  const {privateKey} = await jose.generateKeyPair('RS256', {extractable: true})
  const key = {...(await jose.exportJWK(privateKey)), kid: `dev-${Date.now().toString(36)}`, alg: 'RS256', use: 'sig'} as SigningJwk
  writeFileAtomic(path, `${JSON.stringify(key)}\n`)
  return key
}
