/**
 * Validation rules (DESIGN.md §4) and size limits (limits.ts), shared by the CLI (offline) and the control plane (the
 * authority). Pure: no I/O. Every violation is reported, each with a proto3 JSON path (`patterns[0].requires[0].slot`)
 * the CLI maps back to a YAML line.
 */
import {parseDuration} from '../config/duration.js'
import {BackendType, BackendTypeSchema} from '../gen/prism/admin/v1/resources_pb.js'
import type {Backend, Credentials, Namespace, Pattern, SlotBinding} from '../gen/prism/admin/v1/resources_pb.js'
import {enumChoices} from './documents.js'
import type {Problem, SourceDoc} from './documents.js'
import {backendLimitViolations, namespaceLimitViolations} from './limits.js'
import {findPattern, KNOWN_INTERFACES, PATTERNS, resolvePatternVersion, SESSION_MANAGER} from './pattern-registry.js'
import type {PatternSpec, PatternVersionSpec} from './pattern-registry.js'
import {didYouMean, quote} from './suggest.js'
import {topicProblem} from './topics.js'
import {backendTypeHint} from './upstream-hints.js'

export interface Violation {
  path: string
  message: string
}

export const NAME_PATTERN = /^[a-z][a-z0-9-]{2,62}$/
const SLOT_PATTERN = /^[a-z][a-z0-9]*-[a-z][a-z0-9]*$/
const AUTH_PROVIDERS: readonly string[] = ['oidc', 'jwt', 'mtls']
const PATTERN_TYPES = PATTERNS.map((p) => p.type)
const BACKEND_TYPES = enumChoices(BackendTypeSchema)
const KNOWN_INTERFACE_SET = new Set(KNOWN_INTERFACES)

function checkName(out: Violation[], path: string, what: string, value: string, hint = ''): void {
  if (!value) out.push({path, message: `${what} is required`})
  else if (!NAME_PATTERN.test(value)) out.push({path, message: `${what} ${quote(value)} is invalid: use 3 to 63 lowercase letters, digits or '-', starting with a letter${hint}`})
}

function checkCredentials(out: Violation[], path: string, credentials: Credentials | undefined, sessionAware: boolean): void {
  const source = credentials?.source
  if (source?.case === 'vaultPath') {
    if (!/^vault:\/\/\S+$/.test(source.value)) out.push({path: `${path}.vaultPath`, message: `vaultPath must be a vault:// reference such as vault://secret/data/prism/NAME, got ${quote(source.value)}`})
  } else if (source?.case === 'static' && sessionAware) {
    out.push({path: `${path}.static`, message: 'a session-aware pattern must not carry static credentials; use vaultPath with a vault:// reference'})
  }
}

export function validateNamespace(ns: Namespace): Violation[] {
  // Limits first: when the list is long, they are what the reader must see.
  const out = namespaceLimitViolations(ns)
  checkName(out, 'name', 'namespace name', ns.name)
  checkName(out, 'team', 'team name', ns.team)

  const managers: number[] = []
  ns.patterns.forEach((p, i) => {
    if (p.type === SESSION_MANAGER) managers.push(i)
  })
  const names = new Map<string, number>()
  ns.patterns.forEach((p, i) => {
    const base = `patterns[${i}]`
    checkName(out, `${base}.name`, 'pattern name', p.name)
    const first = names.get(p.name)
    if (p.name && first !== undefined) out.push({path: `${base}.name`, message: `duplicate pattern name ${quote(p.name)} (also patterns[${first}])`})
    else names.set(p.name, i)

    let spec: PatternSpec | undefined
    let version: PatternVersionSpec | undefined
    if (!p.type) {
      out.push({path: `${base}.type`, message: `pattern type is required (one of ${PATTERN_TYPES.join(', ')})`})
    } else if (!(spec = findPattern(p.type))) {
      out.push({path: `${base}.type`, message: `unknown pattern type ${quote(p.type)}${didYouMean(p.type, PATTERN_TYPES)} (known: ${PATTERN_TYPES.join(', ')})`})
    } else if (!(version = resolvePatternVersion(spec, p.version))) {
      out.push({path: `${base}.version`, message: `version ${quote(p.version)} does not exist for pattern type ${spec.type} (available: ${spec.versions.map((v) => v.version).join(', ')})`})
    }

    if (p.type === SESSION_MANAGER) {
      if (managers[0] !== i) out.push({path: `${base}.type`, message: `at most one session-manager per namespace (the first is patterns[${managers[0]}])`})
      else if (i !== 0) out.push({path: `${base}.type`, message: 'the session-manager must be the first pattern'})
      if (!p.requires.some((b) => b.slot === 'session-store')) out.push({path: `${base}.requires`, message: 'the session-manager must bind a session-store slot in requires'})
    }
    if (p.sessionAware) {
      if (spec && !spec.sessionCapable) out.push({path: `${base}.sessionAware`, message: `pattern type ${spec.type} cannot be session-aware`})
      else if (managers.length === 0) out.push({path: `${base}.sessionAware`, message: `session-aware pattern ${quote(p.name)} needs a session-manager in the namespace; add one as the first pattern`})
    }

    const slots = new Map<string, string>()
    checkBindings(out, base, 'requires', p, version, slots)
    checkBindings(out, base, 'produces', p, version, slots)
    if (spec && version) {
      for (const s of version.slots) {
        // The session-store slot has its own message above (rule 2).
        if (!s.required || slots.has(s.name) || (p.type === SESSION_MANAGER && s.name === 'session-store')) continue
        out.push({path: `${base}.${s.direction}`, message: `pattern type ${spec.type} ${version.version} needs slot ${s.name} in ${s.direction}`})
      }
      checkSettings(out, base, p, spec, version)
    }
  })

  if (ns.auth) {
    const provider = ns.auth.provider
    if (provider && !AUTH_PROVIDERS.includes(provider)) out.push({path: 'auth.provider', message: `unknown auth provider ${quote(provider)}${didYouMean(provider, AUTH_PROVIDERS)} (known: ${AUTH_PROVIDERS.join(', ')})`})
    else if (ns.auth.enabled && !provider) out.push({path: 'auth.provider', message: `provider is required when auth is enabled (one of ${AUTH_PROVIDERS.join(', ')})`})
  }
  return out
}

/** The settings the pattern's version declares: present when required, and of their kind. */
function checkSettings(out: Violation[], base: string, p: Pattern, spec: PatternSpec, version: PatternVersionSpec): void {
  for (const setting of version.settings ?? []) {
    const value = p.settings[setting.name]
    const path = `${base}.settings.${setting.name}`
    if (value === undefined || value.trim() === '') {
      if (setting.required) out.push({path: `${base}.settings`, message: `pattern type ${spec.type} needs settings.${setting.name}: ${setting.description}`})
    } else if ((setting.kind === 'list' || setting.kind === 'topics') && value.split(',').some((item) => item.trim() === '')) {
      out.push({path, message: `settings.${setting.name} has an empty item in ${quote(value)}: ${setting.description}`})
    } else if (setting.kind === 'topics') {
      for (const topic of value.split(',').map((item) => item.trim())) {
        const why = topicProblem(topic)
        if (why) out.push({path, message: `settings.${setting.name}: ${quote(topic)} ${why}`})
      }
    } else if (setting.kind === 'duration') {
      let ms: number
      try {
        ms = parseDuration(value, `settings.${setting.name}`)
      } catch {
        out.push({path, message: `settings.${setting.name} must be a duration such as 12h or 7d, got ${quote(value)}`})
        continue
      }
      const {bounds} = setting
      if (bounds && (ms < parseDuration(bounds.min, 'min') || ms > parseDuration(bounds.max, 'max'))) {
        out.push({path, message: `settings.${setting.name} must be from ${bounds.min} to ${bounds.max}, got ${quote(value)}`})
      }
    }
  }
}

function checkBindings(out: Violation[], base: string, direction: 'requires' | 'produces', p: Pattern, version: PatternVersionSpec | undefined, slots: Map<string, string>): void {
  p[direction].forEach((b: SlotBinding, j) => {
    const path = `${base}.${direction}[${j}]`
    if (!b.slot) {
      out.push({path: `${path}.slot`, message: 'slot is required'})
    } else if (!SLOT_PATTERN.test(b.slot)) {
      out.push({path: `${path}.slot`, message: `slot ${quote(b.slot)} must be named {purpose}-{type}, e.g. kv-store or message-sink`})
    } else if (slots.has(b.slot)) {
      out.push({path: `${path}.slot`, message: `slot ${b.slot} is bound twice (also ${slots.get(b.slot)})`})
    } else {
      slots.set(b.slot, path)
      const known = version?.slots.filter((s) => s.direction === direction).map((s) => s.name)
      if (known && !known.includes(b.slot)) {
        const list = known.length ? `known: ${known.join(', ')}` : `it has no ${direction} slots`
        out.push({path: `${path}.slot`, message: `unknown slot ${b.slot} for pattern type ${p.type} ${version!.version} ${direction}${didYouMean(b.slot, known)} (${list})`})
      }
    }
    const target = b.target
    if (target.case === undefined) out.push({path, message: 'bind the slot to a backend (backend: NAME) or a backend type (backendType: TYPE)'})
    else if (target.case === 'backend') checkName(out, `${path}.backend`, 'backend name', target.value, backendTypeHint(target.value))
    else if (target.value === BackendType.UNSPECIFIED || !(target.value in BackendType)) out.push({path: `${path}.backendType`, message: `backendType must be one of ${BACKEND_TYPES.join(', ')}`})
    checkCredentials(out, `${path}.credentials`, b.credentials, p.sessionAware)
  })
}

/** The field of each per-type config a backend cannot work without (a string, or a list that must not be empty). */
const REQUIRED_CONFIG: Record<string, {field: string; hint: string}> = {
  redis: {field: 'address', hint: 'host:port'},
  nats: {field: 'url', hint: 'e.g. nats://nats:4222'},
  kafka: {field: 'brokers', hint: 'a list of host:port'},
  postgres: {field: 'host', hint: 'a host name'},
  sqlite: {field: 'path', hint: 'a database file path'},
  s3: {field: 'bucket', hint: 'a bucket name'},
}

/** Config fields that are URLs (a list of them, comma-separated, for NATS). */
const URL_CONFIG: Record<string, string> = {nats: 'url', s3: 'endpoint'}

/** Whether a URL (or any URL of a comma-separated list) carries user info, i.e. credentials, before its host. */
function hasUserInfo(urls: string): boolean {
  return urls.split(',').some((url) => /^[^/?#]*@/.test(url.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')))
}

export function validateBackend(b: Backend): Violation[] {
  const out = backendLimitViolations(b)
  checkName(out, 'name', 'backend name', b.name)
  const type = BackendType[b.type]?.toLowerCase()
  if (!type || b.type === BackendType.UNSPECIFIED) {
    out.push({path: 'type', message: `type is required (one of ${BACKEND_TYPES.join(', ')})`})
  } else if (b.config.case !== undefined && b.config.case !== type) {
    out.push({path: b.config.case, message: `a ${b.config.case} config does not match type ${type}; use a "${type}:" block`})
  } else if (b.config.case === undefined) {
    if (type !== 'memstore') out.push({path: type, message: `a ${type} backend needs a "${type}:" config block`})
  } else {
    const required = REQUIRED_CONFIG[type]
    const value = required && (b.config.value as unknown as Record<string, string | string[]>)[required.field]
    if (required && !value?.length) out.push({path: `${type}.${required.field}`, message: `${type}.${required.field} is required (${required.hint})`})
    // Not echoed: the URL holds the secret. Backend reads show config to every viewer, credentials never.
    const urlField = URL_CONFIG[type]
    const url = urlField && (b.config.value as unknown as Record<string, string>)[urlField]
    if (url && hasUserInfo(url)) out.push({path: `${type}.${urlField}`, message: `${type}.${urlField} must not hold credentials (the part before "@"): whoever can read the backend would see them; put them in credentials (static username and password, or token, or vaultPath)`})
    if (b.config.case === 'postgres' && b.config.value.port > 65535) out.push({path: 'postgres.port', message: `postgres.port must be from 1 to 65535, got ${b.config.value.port}`})
  }
  checkCredentials(out, 'credentials', b.credentials, false)
  const seen = new Set<string>()
  b.interfaces.forEach((name, i) => {
    if (!KNOWN_INTERFACE_SET.has(name)) out.push({path: `interfaces[${i}]`, message: `unknown interface ${quote(name)}${didYouMean(name, KNOWN_INTERFACES)} (known: ${KNOWN_INTERFACES.join(', ')})`})
    else if (seen.has(name)) out.push({path: `interfaces[${i}]`, message: `interface ${name} is listed twice`})
    seen.add(name)
  })
  return out
}

/**
 * Runs the rules on parsed documents and places each violation in its file. Also catches two documents of the same
 * kind and name in one input, which `apply` could only resolve by letting the last one win.
 */
export function validateDocuments(docs: SourceDoc[]): Problem[] {
  const problems: Problem[] = []
  const names = new Map<string, SourceDoc>()
  for (const doc of docs) {
    const violations = doc.kind === 'Namespace' ? validateNamespace(doc.message as Namespace) : validateBackend(doc.message as Backend)
    const key = `${doc.kind}/${doc.message.name}`
    const first = names.get(key)
    if (doc.message.name && first) {
      const pos = first.locate('name')
      violations.push({path: 'name', message: `duplicate ${doc.kind} ${quote(doc.message.name)} (also in ${first.file}${pos ? `:${pos.line}` : ''})`})
    } else {
      names.set(key, doc)
    }
    for (const v of violations) {
      const pos = doc.locate(v.path)
      problems.push({file: doc.file, line: pos?.line, column: pos?.column, path: v.path, message: v.message})
    }
  }
  return problems
}
