/**
 * Backend credentials at connect time: static ones as registered; a `credentials.vaultPath` read from Vault (a
 * fresh read on every connect, so a secret changed in Vault is picked up on reconnect) and handed to the driver as
 * static credentials; a slot binding's own vaultPath in place of the backend's. The secret's keys are username,
 * password and token.
 */
import {create} from '@bufbuild/protobuf'

import {PrismError} from '../errors.js'
import {type Backend, CredentialsSchema, StaticCredentialsSchema} from '../gen/prism/admin/v1/resources_pb.js'
import type {VaultClient} from './vault.js'

/** `bindingPath`: the Vault path a slot binding names for its own credentials, used instead of the backend's. */
export type CredentialResolver = (backend: Backend, bindingPath?: string) => Promise<Backend>

export function credentialResolver(vault: VaultClient | undefined): CredentialResolver {
  return async (backend, bindingPath) => {
    const source = backend.credentials?.source
    const path = bindingPath ?? (source?.case === 'vaultPath' ? source.value : undefined)
    if (path === undefined) return backend
    if (!vault) {
      throw new PrismError(`backend ${backend.name} takes its credentials from Vault (${path}), and this proxy has no Vault`, {
        code: 'UNAVAILABLE',
        hint: 'Start the proxy with --vault-addr URL (and VAULT_TOKEN, or --vault-role for a JWT login).',
      })
    }
    let secret: Record<string, string>
    try {
      secret = await vault.readSecret(path)
    } catch (err) {
      // UNAVAILABLE whatever Vault said: to a caller, the backend cannot be used (NOT_FOUND would read as a missing
      // namespace), and the message says why.
      const e = err as PrismError
      throw new PrismError(`backend ${backend.name}: ${e.message}`, {code: 'UNAVAILABLE', ...(e.hint ? {hint: e.hint} : {}), cause: err})
    }
    const value = create(StaticCredentialsSchema, {username: secret.username ?? '', password: secret.password ?? '', token: secret.token ?? ''})
    return {...backend, credentials: create(CredentialsSchema, {source: {case: 'static', value}})}
  }
}
