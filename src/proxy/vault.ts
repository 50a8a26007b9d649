/**
 * The proxy's Vault client: backend credentials held in Vault's KV v2 (`credentials.vaultPath`, e.g.
 * vault://secret/data/prism/backends/redis-cache), read when a backend connects. Vault's documented HTTP API only
 * (reference/stack-images.md §2.4): a token from VAULT_TOKEN, or a JWT login with the proxy's own token
 * (auth/jwt/login), renewed (auth/token/renew-self) once two thirds of its TTL have passed and obtained again when
 * renewal fails. Errors name the path, never a value.
 */
import {PrismError} from '../errors.js'

export interface VaultOptions {
  /** http://vault:8200 */
  address: string
  /** A fixed token (VAULT_TOKEN); otherwise a JWT login. */
  token?: string
  jwtLogin?: {role: string; mount?: string; jwt: () => Promise<string | undefined>}
  timeoutMs?: number
}

interface VaultToken {
  token: string
  /** When to renew (two thirds of the TTL), or undefined for a token that does not expire. */
  renewAt?: number
  renewable: boolean
}

interface AuthResponse {
  auth?: {client_token?: string; lease_duration?: number; renewable?: boolean}
}

/** vault://MOUNT/data/PATH (or MOUNT/data/PATH) → the API path MOUNT/data/PATH. */
export function kvApiPath(vaultPath: string): string {
  const path = vaultPath.replace(/^vault:\/\//, '').replace(/^\/+/, '')
  if (!/^[^/]+\/data\/.+/.test(path)) {
    throw new PrismError(`invalid Vault path "${vaultPath}"`, {code: 'INVALID_ARGUMENT', hint: 'A KV v2 path looks like vault://secret/data/prism/backends/NAME.'})
  }
  return path
}

export class VaultClient {
  private current?: VaultToken
  private obtaining?: Promise<VaultToken>

  constructor(private readonly options: VaultOptions) {
    if (!options.token && !options.jwtLogin) throw new PrismError('the Vault client needs VAULT_TOKEN or a JWT login role', {code: 'INVALID_ARGUMENT'})
  }

  private async request(method: 'GET' | 'POST', path: string, token: string | undefined, body?: unknown): Promise<{status: number; json: Record<string, unknown>}> {
    let res: Response
    try {
      res = await fetch(`${this.options.address.replace(/\/$/, '')}/v1/${path}`, {
        method,
        headers: {...(token ? {'X-Vault-Token': token} : {}), ...(body ? {'Content-Type': 'application/json'} : {})},
        ...(body ? {body: JSON.stringify(body)} : {}),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      })
    } catch (err) {
      throw new PrismError(`cannot reach Vault at ${this.options.address} (${(err as {cause?: {code?: string}}).cause?.code ?? (err as Error).message})`, {code: 'UNAVAILABLE', cause: err})
    }
    const text = await res.text()
    let json: Record<string, unknown> = {}
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {}
    } catch {
      // Not JSON (a proxy's error page): the status says enough.
    }
    return {status: res.status, json}
  }

  private static errors(json: Record<string, unknown>): string {
    const list = json.errors as string[] | undefined
    return list && list.length > 0 ? list.join('; ') : 'no detail'
  }

  private async login(): Promise<VaultToken> {
    if (this.options.token) return {token: this.options.token, renewable: false}
    const {role, mount = 'jwt', jwt} = this.options.jwtLogin!
    const bearer = await jwt()
    if (!bearer) throw new PrismError('cannot log in to Vault: the proxy has no token of its own to present', {code: 'UNAUTHENTICATED', hint: 'Give the proxy a login (--login, PRISM_TOKEN) or set VAULT_TOKEN.'})
    const res = await this.request('POST', `auth/${mount}/login`, undefined, {role, jwt: bearer})
    const auth = (res.json as AuthResponse).auth
    if (res.status !== 200 || !auth?.client_token) {
      throw new PrismError(`Vault refused the proxy's JWT login (role ${role}): HTTP ${res.status}: ${VaultClient.errors(res.json)}`, {code: 'PERMISSION_DENIED', hint: `Check Vault's auth/${mount} config (bound_issuer, jwks_url) and role ${role} (bound_audiences, user_claim).`})
    }
    return VaultClient.tokenOf(auth)
  }

  private static tokenOf(auth: NonNullable<AuthResponse['auth']>): VaultToken {
    const ttl = auth.lease_duration ?? 0
    return {token: auth.client_token!, renewable: Boolean(auth.renewable), ...(ttl > 0 ? {renewAt: Date.now() + (ttl * 1000 * 2) / 3} : {})}
  }

  /** Renews a token past two thirds of its TTL; logs in again when it cannot be renewed. */
  private async refresh(old: VaultToken): Promise<VaultToken> {
    if (old.renewable) {
      const res = await this.request('POST', 'auth/token/renew-self', old.token, {})
      const auth = (res.json as AuthResponse).auth
      if (res.status === 200 && auth?.client_token) return VaultClient.tokenOf(auth)
    }
    return this.login()
  }

  private async token(): Promise<string> {
    const now = Date.now()
    if (this.current && (this.current.renewAt === undefined || now < this.current.renewAt)) return this.current.token
    const previous = this.current
    this.obtaining ??= (previous ? this.refresh(previous) : this.login()).finally(() => (this.obtaining = undefined))
    this.current = await this.obtaining
    return this.current.token
  }

  /** The key/value pairs of a KV v2 secret. */
  async readSecret(vaultPath: string): Promise<Record<string, string>> {
    const path = kvApiPath(vaultPath)
    let res = await this.request('GET', path, await this.token())
    if (res.status === 403 && !this.options.token) {
      // A token revoked or expired early: one fresh login, then the answer stands.
      this.current = undefined
      res = await this.request('GET', path, await this.token())
    }
    if (res.status === 404) throw new PrismError(`no secret at ${vaultPath} in Vault`, {code: 'NOT_FOUND', hint: 'Write it (vault kv put …), or correct the backend\'s credentials.vaultPath.'})
    if (res.status === 403) throw new PrismError(`Vault refused to read ${vaultPath} (permission denied)`, {code: 'PERMISSION_DENIED', hint: 'Grant the proxy\'s Vault policy read on that path.'})
    if (res.status !== 200) throw new PrismError(`reading ${vaultPath} from Vault failed: HTTP ${res.status}: ${VaultClient.errors(res.json)}`, {code: 'UNAVAILABLE'})
    const data = ((res.json.data as {data?: Record<string, unknown>} | undefined)?.data ?? {}) as Record<string, unknown>
    return Object.fromEntries(Object.entries(data).filter(([, v]) => typeof v === 'string')) as Record<string, string>
  }
}
