/**
 * Named contexts in <config dir>/config.yaml, kubectl-style. A context says where the control plane, the proxy and
 * the OIDC issuer are. PRISM_* environment variables and command-line flags override the stored values.
 */
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {parse, stringify} from 'yaml'

import {PrismError} from '../errors.js'
import {configDir, writeFileAtomic} from './files.js'

export interface ContextSettings {
  adminEndpoint?: string
  proxyEndpoint?: string
  issuer?: string
  clientId?: string
  scopes?: string
  /** Use TLS to reach the endpoints (plaintext by default, as the local servers are). */
  tls?: boolean
  caFile?: string
}

export interface ConfigFile {
  currentContext?: string
  contexts: Record<string, ContextSettings>
}

export const DEFAULTS = {
  context: 'default',
  adminEndpoint: '127.0.0.1:8981',
  proxyEndpoint: '127.0.0.1:50090',
  issuer: 'http://localhost:5556/dex',
  clientId: 'prismctl',
  scopes: 'openid profile email groups offline_access',
} as const

const SETTING_KEYS: (keyof ContextSettings)[] = ['adminEndpoint', 'proxyEndpoint', 'issuer', 'clientId', 'scopes', 'tls', 'caFile']

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'config.yaml')
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): ConfigFile {
  const path = configPath(env)
  if (!existsSync(path)) return {contexts: {}}
  let raw: unknown
  try {
    raw = parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new PrismError(`cannot read ${path}: ${(err as Error).message}`, {
      hint: 'Fix the YAML by hand, or move the file away to start from defaults.',
      cause: err,
    })
  }
  if (raw === null || raw === undefined) return {contexts: {}}
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new PrismError(`${path} is not a mapping`, {hint: 'Expected keys: currentContext, contexts.'})
  }
  const file = raw as Partial<ConfigFile>
  return {currentContext: file.currentContext, contexts: file.contexts ?? {}}
}

function writeConfig(config: ConfigFile, env: NodeJS.ProcessEnv = process.env): void {
  writeFileAtomic(configPath(env), stringify(config))
}

export interface ResolvedContext extends Required<Omit<ContextSettings, 'caFile'>> {
  name: string
  caFile?: string
  /** Whether the context exists in config.yaml (false: defaults and environment only). */
  stored: boolean
}

export interface ContextOverrides {
  context?: string
  adminEndpoint?: string
  proxyEndpoint?: string
  issuer?: string
  clientId?: string
}

/** Flags beat PRISM_* variables, which beat the stored context, which beats the defaults. */
export function resolveContext(overrides: ContextOverrides = {}, env: NodeJS.ProcessEnv = process.env): ResolvedContext {
  const config = readConfig(env)
  const name = overrides.context || env.PRISM_CONTEXT || config.currentContext || DEFAULTS.context
  const stored = config.contexts[name]
  if (!stored && (overrides.context || env.PRISM_CONTEXT)) {
    const known = Object.keys(config.contexts)
    throw new PrismError(`context "${name}" does not exist`, {
      hint: known.length > 0 ? `Known contexts: ${known.join(', ')}. Create it with: prismctl context set ${name} --admin-endpoint HOST:PORT` : `Create it with: prismctl context set ${name} --admin-endpoint HOST:PORT`,
      exitCode: 2,
      code: 'USAGE',
    })
  }
  const s = stored ?? {}
  return {
    name,
    stored: Boolean(stored),
    adminEndpoint: overrides.adminEndpoint || env.PRISM_ADMIN_ENDPOINT || s.adminEndpoint || DEFAULTS.adminEndpoint,
    proxyEndpoint: overrides.proxyEndpoint || env.PRISM_PROXY_ENDPOINT || s.proxyEndpoint || DEFAULTS.proxyEndpoint,
    issuer: overrides.issuer || env.PRISM_ISSUER || s.issuer || DEFAULTS.issuer,
    clientId: overrides.clientId || env.PRISM_CLIENT_ID || s.clientId || DEFAULTS.clientId,
    scopes: env.PRISM_SCOPES || s.scopes || DEFAULTS.scopes,
    tls: s.tls ?? false,
    caFile: s.caFile,
  }
}

export function setContext(name: string, settings: ContextSettings, options: {use?: boolean} = {}, env: NodeJS.ProcessEnv = process.env): ContextSettings {
  const config = readConfig(env)
  const merged: ContextSettings = {...config.contexts[name]}
  for (const key of SETTING_KEYS) {
    if (settings[key] !== undefined) (merged as Record<string, unknown>)[key] = settings[key]
  }
  config.contexts[name] = merged
  if (options.use || !config.currentContext) config.currentContext = name
  writeConfig(config, env)
  return merged
}

export function useContext(name: string, env: NodeJS.ProcessEnv = process.env): void {
  const config = readConfig(env)
  if (!config.contexts[name]) {
    throw new PrismError(`context "${name}" does not exist`, {
      hint: `Create it with: prismctl context set ${name} --admin-endpoint HOST:PORT`,
      code: 'NOT_FOUND',
    })
  }
  config.currentContext = name
  writeConfig(config, env)
}

export function deleteContext(name: string, env: NodeJS.ProcessEnv = process.env): void {
  const config = readConfig(env)
  if (!config.contexts[name]) {
    throw new PrismError(`context "${name}" does not exist`, {hint: 'See the contexts with: prismctl context list', code: 'NOT_FOUND'})
  }
  delete config.contexts[name]
  if (config.currentContext === name) delete config.currentContext
  writeConfig(config, env)
}
