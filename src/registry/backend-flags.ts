/**
 * `backend register NAME --type redis --address …` and `backend update NAME --address …`: turns command-line values
 * into a Backend message. Each type takes its own flags; a flag that does not belong to the type is a usage error
 * rather than being silently dropped.
 */
import {clone, create, ScalarType} from '@bufbuild/protobuf'

import {usageError} from '../errors.js'
import {BackendSchema, BackendType, CredentialsSchema, type Backend} from '../gen/prism/admin/v1/resources_pb.js'

export interface BackendFlagValues {
  type?: string
  address?: string
  database?: string
  tls?: boolean
  url?: string
  jetstream?: boolean
  brokers?: string[]
  'client-id'?: string
  host?: string
  port?: number
  sslmode?: string
  path?: string
  endpoint?: string
  bucket?: string
  region?: string
  'max-keys'?: number
  interfaces?: string[]
  label?: string[]
  'vault-path'?: string
  description?: string
}

type ConfigCase = Exclude<Backend['config']['case'], undefined>

/** The flags each backend type accepts, in the order help shows them. */
const TYPE_FLAGS: Record<ConfigCase, (keyof BackendFlagValues)[]> = {
  redis: ['address', 'database', 'tls'],
  nats: ['url', 'jetstream'],
  kafka: ['brokers', 'client-id'],
  postgres: ['host', 'port', 'database', 'sslmode'],
  sqlite: ['path'],
  s3: ['endpoint', 'bucket', 'region'],
  memstore: ['max-keys'],
}

const CONFIG_FLAGS = new Set(Object.values(TYPE_FLAGS).flat())

export const BACKEND_TYPE_NAMES = Object.keys(TYPE_FLAGS) as ConfigCase[]

export function parseBackendType(name: string): BackendType {
  const key = name.toUpperCase() as keyof typeof BackendType
  const type = BackendType[key]
  if (typeof type !== 'number' || type === BackendType.UNSPECIFIED) {
    throw usageError(`unknown backend type "${name}"`, `Valid types: ${BACKEND_TYPE_NAMES.join(', ')}.`)
  }
  return type
}

function configCase(type: BackendType): ConfigCase {
  return BackendType[type]!.toLowerCase() as ConfigCase
}

/** `a,b` and repeated flags both work: `--interfaces keyvalue_basic,keyvalue_ttl`. */
function splitList(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)
}

function unsigned(flag: string, value: string | number): number {
  const n = typeof value === 'number' ? value : Number(value)
  if (!Number.isInteger(n) || n < 0) throw usageError(`--${flag} must be a non-negative integer, got "${value}"`)
  return n
}

/** Applies `k=v` (set) and `k-` (remove) to a label map. */
export function applyLabels(labels: Record<string, string>, specs: string[] | undefined): Record<string, string> {
  const result = {...labels}
  for (const spec of specs ?? []) {
    if (spec.endsWith('-') && !spec.includes('=')) {
      delete result[spec.slice(0, -1)]
      continue
    }
    const eq = spec.indexOf('=')
    if (eq <= 0) throw usageError(`--label expects key=value (or key- to remove a label), got "${spec}"`)
    result[spec.slice(0, eq)] = spec.slice(eq + 1)
  }
  return result
}

function checkFlagsFitType(type: BackendType, flags: BackendFlagValues): void {
  const name = configCase(type)
  const allowed = TYPE_FLAGS[name]
  const misplaced = [...CONFIG_FLAGS].filter((f) => flags[f] !== undefined && !allowed.includes(f))
  if (misplaced.length > 0) {
    throw usageError(
      `${misplaced.map((f) => `--${f}`).join(', ')} ${misplaced.length === 1 ? 'does' : 'do'} not apply to --type ${name}`,
      `Flags for ${name}: ${allowed.map((f) => `--${f}`).join(', ')}.`,
    )
  }
}

/**
 * Fills the per-type config from flags, on top of `base` (the current config when updating). A flag sets the config
 * field of the same name (--client-id: clientId); the field's type says how: lists split, integers checked.
 */
function buildConfig(type: BackendType, flags: BackendFlagValues, base: Backend['config']): Backend['config'] {
  const name = configCase(type)
  const schema = BackendSchema.field[name]!.message!
  const config = (base.case === name ? clone(schema, base.value) : create(schema)) as unknown as Record<string, unknown>
  for (const flag of TYPE_FLAGS[name]) {
    const value = flags[flag]
    if (value === undefined) continue
    const field = schema.field[flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())]!
    config[field.localName] =
      field.fieldKind === 'list' ? splitList(value as string[]) : field.fieldKind === 'scalar' && field.scalar === ScalarType.UINT32 ? unsigned(flag, value as string | number) : value
  }
  return {case: name, value: config} as Backend['config']
}

function applyCommon(backend: Backend, flags: BackendFlagValues): void {
  if (flags.interfaces !== undefined) backend.interfaces = splitList(flags.interfaces)
  if (flags.label !== undefined) backend.labels = applyLabels(backend.labels, flags.label)
  if (flags.description !== undefined) backend.description = flags.description
  if (flags['vault-path'] !== undefined) {
    backend.credentials = flags['vault-path'] === '' ? undefined : create(CredentialsSchema, {source: {case: 'vaultPath', value: flags['vault-path']}})
  }
}

/** A new backend from `backend register NAME --type T …`. */
export function backendFromFlags(name: string, flags: BackendFlagValues): Backend {
  if (!flags.type) throw usageError('--type is required unless the backend comes from a file (-f)', `Valid types: ${BACKEND_TYPE_NAMES.join(', ')}.`)
  const type = parseBackendType(flags.type)
  checkFlagsFitType(type, flags)
  const backend = create(BackendSchema, {name, type})
  backend.config = buildConfig(type, flags, {case: undefined})
  applyCommon(backend, flags)
  return backend
}

/** Whether any flag would change a backend (update with nothing to change is a usage error). */
export function hasBackendChanges(flags: BackendFlagValues): boolean {
  return Object.entries(flags).some(([, value]) => value !== undefined)
}

/**
 * `backend update NAME --address …`: the stored backend with the flags applied. Changing `--type` starts the
 * per-type config afresh; the status is dropped (the server ignores it on writes).
 */
export function updateBackendFromFlags(current: Backend, flags: BackendFlagValues): Backend {
  const backend = clone(BackendSchema, current)
  backend.status = undefined
  const type = flags.type ? parseBackendType(flags.type) : backend.type
  checkFlagsFitType(type, flags)
  backend.type = type
  backend.config = buildConfig(type, flags, backend.config)
  applyCommon(backend, flags)
  return backend
}
