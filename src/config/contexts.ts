/**
 * Named contexts in <config dir>/config.yaml, kubectl-style. A context says where the control plane, the proxy and
 * the OIDC issuer are. PRISM_* environment variables and command-line flags override the stored values.
 */
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {parse, stringify} from 'yaml'

import {PrismError, usageError, yamlErrorLine} from '../errors.js'
import {configDir, refuseWritableByOthers, writeFileAtomic} from './files.js'

export interface ContextSettings {
  adminEndpoint?: string
  proxyEndpoint?: string
  issuer?: string
  clientId?: string
  scopes?: string
  /** Use TLS to reach the endpoints (plaintext by default, as the local servers are). */
  tls?: boolean
  /** CA bundle (PEM) to verify the servers with; the system roots when absent. */
  caFile?: string
  /** Client certificate and key (PEM), for servers that require mutual TLS. */
  certFile?: string
  keyFile?: string
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

const SETTING_KEYS: (keyof ContextSettings)[] = ['adminEndpoint', 'proxyEndpoint', 'issuer', 'clientId', 'scopes', 'tls', 'caFile', 'certFile', 'keyFile']

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'config.yaml')
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): ConfigFile {
  const path = configPath(env)
  refuseWritableByOthers(configDir(env), 'the configuration directory')
  refuseWritableByOthers(path, 'the configuration file')
  if (!existsSync(path)) return {contexts: {}}
  let raw: unknown
  try {
    raw = parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new PrismError(`cannot read ${path}: ${yamlErrorLine(err)}`, {
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

export interface ResolvedContext extends Required<Omit<ContextSettings, 'caFile' | 'certFile' | 'keyFile'>> {
  name: string
  caFile?: string
  certFile?: string
  keyFile?: string
  /** Send a bearer over plaintext to a non-loopback address (--insecure-plaintext, PRISM_INSECURE_PLAINTEXT=1). */
  insecurePlaintext?: boolean
  /** Whether the context exists in config.yaml (false: defaults and environment only). */
  stored: boolean
}

export interface ContextOverrides {
  context?: string
  adminEndpoint?: string
  proxyEndpoint?: string
  issuer?: string
  clientId?: string
  /** TLS settings for this run (proxy serve's --admin-tls, --admin-ca-file, …); they beat the stored context. */
  tls?: boolean
  caFile?: string
  certFile?: string
  keyFile?: string
  insecurePlaintext?: boolean
}

/** Whether a context can be used: stored, or the built-in default (context list shows it, context use takes it). */
const contextExists = (config: {contexts: Record<string, unknown>}, name: string) => name === DEFAULTS.context || Object.hasOwn(config.contexts, name)

/** Flags beat PRISM_* variables, which beat the stored context, which beats the defaults. */
export function resolveContext(overrides: ContextOverrides = {}, env: NodeJS.ProcessEnv = process.env): ResolvedContext {
  const config = readConfig(env)
  const name = overrides.context || env.PRISM_CONTEXT || config.currentContext || DEFAULTS.context
  const stored = config.contexts[name]
  if (!contextExists(config, name) && (overrides.context || env.PRISM_CONTEXT)) {
    const known = Object.keys(config.contexts)
    throw new PrismError(`context "${name}" does not exist`, {
      hint: known.length > 0 ? `Known contexts: ${known.join(', ')}. Create it with: prismctl context set ${name} --admin-endpoint HOST:PORT` : `Create it with: prismctl context set ${name} --admin-endpoint HOST:PORT`,
      exitCode: 2,
      code: 'USAGE',
    })
  }
  // Checked as context set checks them: "http://host:port" would otherwise fail later, blaming something else.
  if (overrides.adminEndpoint) checkEndpoint('--admin-endpoint', overrides.adminEndpoint)
  else if (env.PRISM_ADMIN_ENDPOINT) checkEndpoint('PRISM_ADMIN_ENDPOINT', env.PRISM_ADMIN_ENDPOINT)
  if (overrides.proxyEndpoint) checkEndpoint('--proxy-endpoint', overrides.proxyEndpoint)
  else if (env.PRISM_PROXY_ENDPOINT) checkEndpoint('PRISM_PROXY_ENDPOINT', env.PRISM_PROXY_ENDPOINT)
  const s = stored ?? {}
  return {
    name,
    stored: Boolean(stored),
    adminEndpoint: overrides.adminEndpoint || env.PRISM_ADMIN_ENDPOINT || s.adminEndpoint || DEFAULTS.adminEndpoint,
    proxyEndpoint: overrides.proxyEndpoint || env.PRISM_PROXY_ENDPOINT || s.proxyEndpoint || DEFAULTS.proxyEndpoint,
    issuer: overrides.issuer || env.PRISM_ISSUER || s.issuer || DEFAULTS.issuer,
    clientId: overrides.clientId || env.PRISM_CLIENT_ID || s.clientId || DEFAULTS.clientId,
    scopes: env.PRISM_SCOPES || s.scopes || DEFAULTS.scopes,
    tls: overrides.tls ?? s.tls ?? false,
    caFile: overrides.caFile ?? s.caFile,
    certFile: overrides.certFile ?? s.certFile,
    keyFile: overrides.keyFile ?? s.keyFile,
    insecurePlaintext: overrides.insecurePlaintext || env.PRISM_INSECURE_PLAINTEXT === '1' || env.PRISM_INSECURE_PLAINTEXT === 'true',
  }
}

const ENDPOINT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/

/**
 * An endpoint is HOST:PORT, as grpc-js dials it; checked when saved, so that a typo fails `context set` instead of
 * every later command. A URL gets its own hint: the scheme is what --tls says.
 */
export function checkEndpoint(flag: string, value: string): void {
  // A flag, or an environment variable (PRISM_ADMIN_ENDPOINT), which is written NAME=VALUE.
  const env = flag.startsWith('PRISM_')
  const set = (v: string) => (env ? `${flag}=${v}` : `${flag} ${v}`)
  const url = /^([a-z][a-z0-9+.-]*):\/\/([^/]*)/i.exec(value)
  if (url) {
    const tls = url[1]!.toLowerCase() === 'https' || url[1]!.toLowerCase() === 'grpcs'
    throw usageError(`${flag} takes HOST:PORT, not a URL: ${JSON.stringify(value)}`, `Write ${set(url[2] || 'HOST:PORT')}${tls ? (env ? ' and use --tls' : ' --tls') : ''}; TLS is chosen with --tls, not with a scheme.`)
  }
  const match = ENDPOINT.exec(value)
  const port = match ? Number(match[2]) : 0
  if (!match || port < 1 || port > 65535) {
    throw usageError(`${flag} takes HOST:PORT, got ${JSON.stringify(value)}`, `For example ${set('prism-admin.example.com:8981')} (a port from 1 to 65535).`)
  }
}

/** A context as `context list` shows it; the built-in default is listed too, with the values it stands for. */
export interface ContextRow extends ContextSettings {
  name: string
  current: boolean
  /** false for the built-in default while config.yaml does not define it. */
  stored: boolean
}

export function listContexts(env: NodeJS.ProcessEnv = process.env): {currentContext: string; contexts: ContextRow[]} {
  const config = readConfig(env)
  const currentContext = config.currentContext || DEFAULTS.context
  const rows: ContextRow[] = Object.entries(config.contexts).map(([name, s]) => ({name, current: name === currentContext, stored: true, ...s}))
  if (!config.contexts[DEFAULTS.context]) {
    const {adminEndpoint, proxyEndpoint, issuer, clientId, scopes} = DEFAULTS
    rows.unshift({name: DEFAULTS.context, current: currentContext === DEFAULTS.context, stored: false, adminEndpoint, proxyEndpoint, issuer, clientId, scopes})
  }
  return {currentContext, contexts: rows}
}

/** Saves a context; it becomes the current one only with `use` (kubectl's set-context never switches). */
export function setContext(name: string, settings: ContextSettings, options: {use?: boolean} = {}, env: NodeJS.ProcessEnv = process.env): ContextSettings {
  if (settings.adminEndpoint !== undefined) checkEndpoint('--admin-endpoint', settings.adminEndpoint)
  if (settings.proxyEndpoint !== undefined) checkEndpoint('--proxy-endpoint', settings.proxyEndpoint)
  const config = readConfig(env)
  const merged: ContextSettings = {...config.contexts[name]}
  for (const key of SETTING_KEYS) {
    if (settings[key] !== undefined) (merged as Record<string, unknown>)[key] = settings[key]
  }
  config.contexts[name] = merged
  if (options.use) config.currentContext = name
  writeConfig(config, env)
  return merged
}

/** Switches the current context; the built-in default always exists. */
export function useContext(name: string, env: NodeJS.ProcessEnv = process.env): void {
  const config = readConfig(env)
  if (!contextExists(config, name)) {
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
