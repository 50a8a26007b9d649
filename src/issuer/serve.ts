/**
 * `prismctl dev issuer --config FILE`: the development issuer on its own, from a Dex config file, until
 * SIGTERM/SIGINT. This is what runs in Dex's place (same port, same file) where Dex itself cannot.
 */
import {readDexConfig} from '../stack/dex-config.js'
import {readSigningKey} from './signing-key.js'

export async function serveDexIssuer(configPath: string, io: {out(line: string): void; warn(line: string): void}, signingKeyPath?: string): Promise<{issuer: string; address: string}> {
  const config = readDexConfig(configPath)
  const signingKey = signingKeyPath ? readSigningKey(signingKeyPath) : undefined
  const {startDexIssuer} = await import('./dex-issuer.js')
  const issuer = await startDexIssuer(config, io.warn, signingKey)
  io.out(`issuer ${issuer.issuer} listening on ${issuer.address}`)
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'))
    process.once('SIGINT', () => resolve('SIGINT'))
  })
  io.warn(`${signal}: stopping`)
  await issuer.close()
  return {issuer: issuer.issuer, address: issuer.address}
}
