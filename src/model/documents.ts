/**
 * YAML documents ⇄ protobuf messages (DESIGN.md §4). A document is the proto3 JSON mapping of a Namespace or a
 * Backend plus `kind:`. Import walks the YAML node tree alongside the message descriptor, so that every problem
 * (unknown field, wrong type, bad enum value, out-of-range number…) is collected with its line and column in one
 * pass, instead of stopping at the first like protobuf-es `fromJson` does.
 */
import {create, fromBinary, fromJson, isFieldSet, protoInt64, ScalarType, toBinary, toJson} from '@bufbuild/protobuf'
import type {DescEnum, DescField, DescMessage, Message} from '@bufbuild/protobuf'
import {TimestampSchema} from '@bufbuild/protobuf/wkt'
import {base64Decode, base64Encode} from '@bufbuild/protobuf/wire'
import {isAlias, isDocument, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, stringify} from 'yaml'
import type {Document, Node as YamlNode, YAMLMap} from 'yaml'

import {PrismError, yamlErrorLine, type Detail} from '../errors.js'
import {BackendSchema, NamespaceSchema} from '../gen/prism/admin/v1/resources_pb.js'
import type {Backend, Namespace} from '../gen/prism/admin/v1/resources_pb.js'
import {hasSecretFields, isSecretField, mayHoldSecret} from './secret-fields.js'
import {didYouMean, quote} from './suggest.js'
import {ONE_DOCUMENT_PER_NAMESPACE, upstreamFieldHint} from './upstream-hints.js'
import {PARSE_OPTIONS, readCommonYaml} from './yaml-fast-path.js'

export type Kind = 'Namespace' | 'Backend'

/** kubectl's way of naming one resource: `namespace/team-alpha`. */
export const resourceRef = (kind: Kind, name: string): string => `${kind.toLowerCase()}/${name}`
export const KINDS: readonly Kind[] = ['Namespace', 'Backend']
/** The message of a kind; plain `Resource` is either. */
export type Resource<K extends Kind = Kind> = K extends 'Namespace' ? Namespace : Backend

/** A problem in an input file: always names the file. */
export interface Problem extends Detail {
  file: string
}

export interface Position {
  line: number
  column: number
}

export interface SourceDoc {
  kind: Kind
  file: string
  /** 0-based position among the file's non-empty documents. */
  index: number
  /** 0-based position in the items of a `kind: List` document; absent for a plain document. */
  item?: number
  message: Resource
  /** Where a proto3 JSON path is in the file; the nearest existing ancestor when the path itself is absent. */
  locate(path: string): Position | undefined
}

/** Per file: bigger inputs are refused while reading, before they are buffered whole. */
export const MAX_FILE_BYTES = 4 * 1024 * 1024
/** Alias dereferences per document: blocks "billion laughs" expansion while allowing ordinary reuse. */
const MAX_ALIASES = 100

export function schemaFor(kind: Kind): DescMessage {
  return kind === 'Namespace' ? NamespaceSchema : BackendSchema
}

export {formatDetail as formatProblem} from '../errors.js'

// ---------------------------------------------------------------------------------------------------------------
// Import

/** Thrown inside one document's walk when its alias budget is spent; the walk of that document stops. */
class AliasLimit extends Error {}

interface Walk {
  file: string
  src: string
  /** The yaml library's document, for its aliases; absent for one read by the fast path, which reads none. */
  doc?: Document
  lc: LineCounter
  problems: Problem[]
  aliases: number
  /** Aliases already reported as naming no anchor (the walk may meet a key twice). */
  unresolved: WeakSet<YamlNode>
}

const utf8 = new TextDecoder('utf-8', {fatal: true})

/**
 * Parses every document of one file and type-checks it against the schema. Documents with problems are left out
 * of `docs`; all their problems are in `problems`. Rule validation (validateNamespace/validateBackend) is separate.
 */
/**
 * A document that has schema problems, read without the fields that have them, so that the validation rules can
 * still report everything else wrong with it at once. Never used for anything but those rules.
 */
export interface PartialDoc {
  doc: SourceDoc
  /** Where its schema problems are: rule violations at or under these paths would only repeat them. */
  problemPaths: string[]
}

export function parseDocuments(input: string | Uint8Array, file: string): {docs: SourceDoc[]; problems: Problem[]; partial: PartialDoc[]} {
  const problems: Problem[] = []
  const docs: SourceDoc[] = []
  const partial: PartialDoc[] = []
  const fail = (message: string) => ({docs, problems: [{file, message}], partial})
  const tooBig = `is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB, the limit for one file`

  let src: string
  if (typeof input === 'string') {
    src = input
  } else {
    if (input.length > MAX_FILE_BYTES) return fail(tooBig)
    if (input.includes(0)) return fail('is a binary file, not YAML; binary protobuf converts with: prismctl convert --from binpb --kind KIND -f FILE')
    try {
      src = utf8.decode(input)
    } catch {
      return fail('is not valid UTF-8 text; save it as UTF-8')
    }
  }
  if (src.length > MAX_FILE_BYTES) return fail(tooBig)
  if (src.includes('\0')) return fail('contains NUL characters; is it a binary file?')

  const deep = tooDeepAt(src)
  if (deep !== undefined) {
    const lines = src.slice(0, deep).split('\n')
    return {docs, partial, problems: [{file, line: lines.length, column: lines[lines.length - 1]!.length + 1, message: `is nested more than ${MAX_DEPTH} levels deep`}]}
  }

  const lc = new LineCounter()
  // Duplicate keys are found by the walk (PARSE_OPTIONS.uniqueKeys), which knows both spellings of a field name
  // and the field path. The common forms are read by the fast path; the yaml library reads the rest.
  const parsed = readCommonYaml(src, lc) ?? (parseAllDocuments(src, {...PARSE_OPTIONS, lineCounter: lc}) as Document[])

  let index = 0
  for (const doc of parsed) {
    const before = problems.length
    // After the first syntax error the parser's further errors are mostly its consequences: report the first.
    for (const e of [...doc.errors.slice(0, 1), ...doc.warnings]) {
      const pos = lc.linePos(e.pos[0])
      problems.push({file, line: pos.line, column: pos.col, message: yamlMessage(e.message)})
    }
    if (problems.length > before) {
      index++
      continue
    }
    const root = doc.contents as YamlNode | null
    // `---` with nothing after it, or a file of comments: nothing to import.
    if (root === null || (isScalar(root) && root.value === null)) continue
    const w: Walk = {file, src, doc: isDocument(doc) ? doc : undefined, lc, problems, aliases: 0, unresolved: new WeakSet()}
    try {
      const resources = readDocument(w, root)
      const own = problems.slice(before)
      for (const r of resources) {
        const read = (): SourceDoc => ({kind: r.kind, file, index, item: r.item, message: create(schemaFor(r.kind), r.init) as Resource, locate: (path) => locate(w, r.node, path)})
        if (own.length === 0) docs.push(read())
        else {
          const prefix = r.item === undefined ? '' : `items[${r.item}].`
          const mine = own.filter((p) => (p.path ?? '').startsWith(prefix)).map((p) => (p.path ?? '').slice(prefix.length))
          try {
            if (!mine.includes('')) partial.push({doc: read(), problemPaths: mine})
          } catch {
            // What is left of it does not even make a message: its schema problems are all there is to say.
          }
        }
      }
    } catch (err) {
      if (!(err instanceof AliasLimit)) throw err
      problems.push({file, ...at(w, root), message: `uses more than ${MAX_ALIASES} alias references; expand the aliases (anchors like &x and *x)`})
    }
    index++
  }
  if (index === 0 && problems.length === 0) problems.push({file, message: 'contains no documents; expected YAML with kind: Namespace or kind: Backend'})
  return {docs, problems, partial}
}

// Flow collections ([ and {) nested deeper than this are refused before parsing: the YAML parser's time and
// memory grow steeply with depth (4 MB of "[" takes it 25 s and 3.5 GB), and no resource nests past 10 levels.
// Block nesting needs indentation (which the file size limit bounds), except "- - - x" on one line.
const MAX_DEPTH = 64
const QUOTE_OPENERS = new Set([':', ',', '[', '{', '-', '?', ' ', '\t', '\n'])

/** Offset of the first nesting past MAX_DEPTH, skipping quoted scalars and comments; undefined when none. */
function tooDeepAt(src: string): number | undefined {
  let depth = 0
  const n = src.length
  for (let i = 0; i < n; i++) {
    const c = src[i]
    if (i === 0 || src[i - 1] === '\n') {
      // Compact block nesting on one line: "- - - - x".
      let j = i
      let levels = 0
      for (;;) {
        while (src[j] === ' ') j++
        if ((src[j] !== '-' && src[j] !== '?') || (src[j + 1] !== ' ' && src[j + 1] !== '\t')) break
        if (++levels > MAX_DEPTH) return j
        j += 2
      }
    }
    if (c === '[' || c === '{') {
      if (++depth > MAX_DEPTH) return i
    } else if (c === ']' || c === '}') {
      if (depth > 0) depth--
    } else if ((c === '"' || c === "'") && (i === 0 || QUOTE_OPENERS.has(src[i - 1]!))) {
      // A quote starts a quoted scalar only where a value can start; in "Alpha's" it is just a letter.
      for (i++; i < n && src[i] !== c; i++) if (c === '"' && src[i] === '\\') i++
    } else if (c === '#' && (i === 0 || src[i - 1] === ' ' || src[i - 1] === '\t' || src[i - 1] === '\n')) {
      while (i < n && src[i] !== '\n') i++
    }
  }
  return undefined
}

function yamlMessage(message: string): string {
  // The composer recurses per nesting level and turns a stack overflow into an ordinary error.
  if (message.includes('call stack')) return 'invalid YAML: nested too deeply'
  return `invalid YAML: ${yamlErrorLine(message)}`
}

function at(w: Walk, node: YamlNode | null | undefined): {line?: number; column?: number} {
  const offset = node?.range?.[0]
  if (offset === undefined) return {}
  const pos = w.lc.linePos(offset)
  return {line: pos.line, column: pos.col}
}

function report(w: Walk, node: YamlNode | null | undefined, path: string, message: string): undefined {
  w.problems.push({file: w.file, ...at(w, node), path: path || undefined, message})
  return undefined
}

/**
 * The node an alias stands for. An alias with no anchor before it is a problem at `path` (the yaml library composes
 * it without complaint, as nothing): read as null, it would unset a field, and apply would drop a stored value.
 */
function deref(w: Walk, node: YamlNode | null, path: string): YamlNode | null {
  if (node === null || !isAlias(node)) return node
  if (++w.aliases > MAX_ALIASES) throw new AliasLimit()
  const target = ((w.doc && node.resolve(w.doc)) ?? null) as YamlNode | null
  if (target === null && !w.unresolved.has(node)) {
    w.unresolved.add(node)
    report(w, node, path, `alias *${node.source} has no anchor &${node.source} before it in this document`)
  }
  return target
}

/** An alias deref() has reported as naming no anchor: nothing more is said about it. */
const unresolvedAlias = (w: Walk, raw: unknown): boolean => isAlias(raw) && w.unresolved.has(raw as YamlNode)

function describe(w: Walk, node: YamlNode): string {
  if (isMap(node)) return 'a mapping'
  if (isSeq(node)) return 'a list'
  if (isScalar(node)) {
    const v = node.value
    if (v === null) return 'null'
    if (typeof v === 'string') return `string ${quote(v)}`
    return `${typeof v} ${sourceText(w, node)}`
  }
  return 'an unsupported value'
}

function sourceText(w: Walk, node: YamlNode): string {
  const r = node.range
  const text = r ? w.src.slice(r[0], r[1]).trim() : String((node as {value?: unknown}).value)
  return text.length > 64 ? `${text.slice(0, 61)}…` : text
}

interface ReadResource {
  kind: Kind
  init: Record<string, unknown>
  /** The resource's own mapping: the document, or an item of a List. */
  node: YamlNode
  /** 0-based position in a List's items; absent for a plain document. */
  item?: number
}

/** One document: a resource, or a `kind: List` of them (what `list -o json|yaml` prints, so exports apply back). */
function readDocument(w: Walk, root: YamlNode): ReadResource[] {
  const top = deref(w, root, '')
  if (!top || !isMap(top)) {
    report(w, top, '', `expected a mapping with "kind: Namespace" or "kind: Backend", got ${top ? describe(w, top) : 'nothing'}`)
    return []
  }
  const kind = readKind(w, top, '', true)
  if (kind === 'List') return readList(w, top)
  const init = kind && readMessage(w, schemaFor(kind), top, '')
  return kind && init ? [{kind, init, node: top}] : []
}

/** The `kind` of a mapping; 'List' only where a List may be (the top of a document). */
function readKind(w: Walk, top: YAMLMap, path: string, listAllowed: boolean): Kind | 'List' | undefined {
  let kind: Kind | 'List' | undefined
  let kindSeen = false
  const kindPath = join(path, 'kind')
  for (const pair of top.items) {
    const key = deref(w, pair.key as YamlNode | null, path)
    if (!isScalar(key) || key.value !== 'kind') continue
    if (kindSeen) return report(w, key, kindPath, 'duplicate field "kind"')
    kindSeen = true
    const value = deref(w, pair.value as YamlNode | null, kindPath)
    const k = isScalar(value) && typeof value.value === 'string' ? value.value : undefined
    if (k === 'Namespace' || k === 'Backend' || (k === 'List' && listAllowed)) kind = k
    else if (k === 'List') return report(w, value, kindPath, 'a List cannot hold another List; put its items in this one')
    else return report(w, value ?? key, kindPath, `unknown kind ${k === undefined ? (value ? describe(w, value) : 'null') : quote(k)}; expected Namespace or Backend${didYouMean(k ?? '', KINDS)}`)
  }
  if (!kind) {
    const wrapper = top.items.find((pair) => isScalar(pair.key) && pair.key.value === 'namespaces')
    if (wrapper) return report(w, deref(w, wrapper.key as YamlNode | null, path) ?? top, join(path, 'namespaces'), `missing "kind"; ${ONE_DOCUMENT_PER_NAMESPACE}`)
    return report(w, top, path, 'missing "kind"; add "kind: Namespace" or "kind: Backend"')
  }
  return kind
}

function readList(w: Walk, top: YAMLMap): ReadResource[] {
  const out: ReadResource[] = []
  const before = w.problems.length
  let items: YamlNode | null | undefined
  for (const pair of top.items) {
    const key = deref(w, pair.key as YamlNode | null, '')
    const name = isScalar(key) ? key.value : undefined
    if (name === 'kind') continue
    if (name === 'items') items = deref(w, pair.value as YamlNode | null, 'items')
    else report(w, key ?? top, typeof name === 'string' ? name : '', `unknown field ${typeof name === 'string' ? quote(name) : describe(w, key!)} in List; a List has only kind and items`)
  }
  if (items === undefined) {
    report(w, top, 'items', 'missing "items"; a List holds its resources in items: [...]')
    return []
  }
  if (items === null || (isScalar(items) && items.value === null)) return []
  if (!isSeq(items)) {
    report(w, items, 'items', `expected a list, got ${describe(w, items)}`)
    return []
  }
  items.items.forEach((raw, i) => {
    const path = `items[${i}]`
    const node = deref(w, raw as YamlNode | null, path)
    if (!node || !isMap(node)) return report(w, node ?? items, path, `expected a mapping with "kind: Namespace" or "kind: Backend", got ${node ? describe(w, node) : 'nothing'}`)
    const kind = readKind(w, node, path, false)
    const init = kind && kind !== 'List' ? readMessage(w, schemaFor(kind), node, path, true) : undefined
    if (kind && kind !== 'List' && init) out.push({kind, init, node, item: i})
  })
  return w.problems.length === before ? out : []
}

// Field lookup by JSON name and proto name, built once per message type.
const fieldIndexes = new WeakMap<DescMessage, Map<string, DescField>>()
function fieldIndex(desc: DescMessage): Map<string, DescField> {
  let index = fieldIndexes.get(desc)
  if (!index) {
    index = new Map()
    for (const f of desc.fields) {
      index.set(f.jsonName, f)
      index.set(f.name, f)
    }
    fieldIndexes.set(desc, index)
  }
  return index
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key)
const mapKeyPath = (path: string, key: string) => (/^[A-Za-z_][\w-]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`)

/** `resource` marks a resource's own mapping (the document, or a List item), where `kind` is not a field. */
function readMessage(w: Walk, desc: DescMessage, node: YamlNode, path: string, resource = path === ''): Record<string, unknown> | undefined {
  // Where secrets are written, a mistake may put one where a value or a key is described ("credentials: user:pw",
  // "password SEKRIT" without its colon): those are described by their kind only.
  if (!isMap(node)) return report(w, node, path, `expected a mapping (${desc.name}), got ${mayHoldSecret(desc) ? `${kindOf(node)} (not shown: it may be a secret)` : describe(w, node)}`)
  const init: Record<string, unknown> = {}
  const seen = new Map<number, YamlNode>()
  const oneofs = new Map<string, string>()
  for (const pair of node.items) {
    const keyNode = deref(w, pair.key as YamlNode | null, path)
    if (!isScalar(keyNode) || typeof keyNode.value !== 'string') {
      if (!unresolvedAlias(w, pair.key)) report(w, keyNode ?? node, path, `field names must be strings, got ${!keyNode ? 'null' : hasSecretFields(desc) ? kindOf(keyNode) : describe(w, keyNode)}`)
      continue
    }
    const key = keyNode.value
    if (resource && key === 'kind') continue
    const field = fieldIndex(desc).get(key)
    if (!field) {
      const value = deref(w, pair.value as YamlNode | null, join(path, key))
      const names = desc.fields.map((f) => f.jsonName)
      if (hasSecretFields(desc)) {
        report(w, keyNode, path, `unknown field in ${desc.name} (its name is not shown: it may hold a secret); the fields are ${names.join(', ')}${didYouMean(key, names)}`)
        continue
      }
      const upstream = upstreamFieldHint(desc.name, key, isScalar(value) ? value.value : undefined)
      report(w, keyNode, join(path, key), `unknown field "${key}" in ${desc.name}${upstream ? `; ${upstream}` : didYouMean(key, names)}`)
      continue
    }
    const fieldPath = join(path, field.jsonName)
    const first = seen.get(field.number)
    if (first) {
      report(w, keyNode, fieldPath, `duplicate field "${key}" (already set on line ${at(w, first).line})`)
      continue
    }
    seen.set(field.number, keyNode)
    const valueNode = deref(w, pair.value as YamlNode | null, fieldPath)
    const isNull = valueNode === null || (isScalar(valueNode) && valueNode.value === null)
    if (field.oneof && !isNull) {
      const other = oneofs.get(field.oneof.name)
      if (other) {
        const members = field.oneof.fields.map((f) => f.jsonName).join(', ')
        report(w, keyNode, fieldPath, `"${other}" and "${field.jsonName}" cannot both be set: choose one of ${members}`)
        continue
      }
      oneofs.set(field.oneof.name, field.jsonName)
    }
    const value = readField(w, field, valueNode, fieldPath)
    if (value === undefined) continue
    if (field.oneof) init[field.oneof.localName] = {case: field.localName, value}
    else init[field.localName] = value
  }
  // With problems, what could be read is still returned: a document with problems is never used, only checked
  // against the rules too (PartialDoc), and for that it must keep every readable field in its place.
  return init
}

/** undefined = unset (null in YAML) or a problem was reported; callers compare problem counts to tell them apart. */
function readField(w: Walk, field: DescField, node: YamlNode | null, path: string): unknown {
  if (node === null || (isScalar(node) && node.value === null)) return undefined
  switch (field.fieldKind) {
    case 'scalar':
      return isSecretField(field) ? readSecret(w, node, path) : readScalar(w, field.scalar, node, path)
    case 'enum':
      return readEnum(w, field.enum, node, path)
    case 'message':
      return readMessageValue(w, field.message, node, path)
    case 'list': {
      if (!isSeq(node)) return report(w, node, path, `expected a list, got ${describe(w, node)}`)
      const out: unknown[] = []
      node.items.forEach((raw, i) => {
        const itemPath = `${path}[${i}]`
        const item = deref(w, raw as YamlNode | null, itemPath)
        if (item === null || (isScalar(item) && item.value === null)) return report(w, item ?? node, itemPath, 'list items cannot be null')
        const v = field.listKind === 'scalar' ? readScalar(w, field.scalar, item, itemPath) : field.listKind === 'enum' ? readEnum(w, field.enum, item, itemPath) : readMessageValue(w, field.message, item, itemPath)
        // An unreadable message keeps its place (empty), so the paths of the items after it stay true.
        if (v !== undefined) out.push(v)
        else if (field.listKind === 'message') out.push({})
      })
      return out
    }
    case 'map': {
      if (!isMap(node)) return report(w, node, path, `expected a mapping, got ${describe(w, node)}`)
      const out: Record<string, unknown> = {}
      const before = w.problems.length
      for (const pair of node.items) {
        const keyNode = deref(w, pair.key as YamlNode | null, path)
        if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === 'object') {
          if (!unresolvedAlias(w, pair.key)) report(w, keyNode ?? node, path, 'map keys must be plain values')
          continue
        }
        const key = typeof keyNode.value === 'string' ? keyNode.value : sourceText(w, keyNode)
        const entryPath = mapKeyPath(path, key)
        if (Object.hasOwn(out, key)) {
          report(w, keyNode, entryPath, `duplicate key ${quote(key)}`)
          continue
        }
        const valueNode = deref(w, pair.value as YamlNode | null, entryPath)
        if (valueNode === null || (isScalar(valueNode) && valueNode.value === null)) {
          report(w, valueNode ?? keyNode, entryPath, 'map values cannot be null')
          continue
        }
        const v = field.mapKind === 'scalar' ? readScalar(w, field.scalar, valueNode, entryPath) : field.mapKind === 'enum' ? readEnum(w, field.enum, valueNode, entryPath) : readMessageValue(w, field.message, valueNode, entryPath)
        if (v !== undefined) out[key] = v
      }
      // Map keys of our messages are all strings; integer keys would need converting here.
      return w.problems.length === before ? out : undefined
    }
  }
}

function readMessageValue(w: Walk, desc: DescMessage, node: YamlNode, path: string): unknown {
  if (desc.typeName !== TimestampSchema.typeName) return readMessage(w, desc, node, path)
  const expected = 'expected an RFC 3339 timestamp such as "2026-01-31T12:00:00Z"'
  if (!isScalar(node) || typeof node.value !== 'string') return report(w, node, path, `${expected}, got ${describe(w, node)}`)
  try {
    return fromJson(TimestampSchema, node.value)
  } catch {
    return report(w, node, path, `${expected}, got ${quote(node.value)}`)
  }
}

const INT_RANGES: Partial<Record<ScalarType, [bigint, bigint]>> = {
  [ScalarType.INT32]: [-(2n ** 31n), 2n ** 31n - 1n],
  [ScalarType.SINT32]: [-(2n ** 31n), 2n ** 31n - 1n],
  [ScalarType.SFIXED32]: [-(2n ** 31n), 2n ** 31n - 1n],
  [ScalarType.UINT32]: [0n, 2n ** 32n - 1n],
  [ScalarType.FIXED32]: [0n, 2n ** 32n - 1n],
  [ScalarType.INT64]: [-(2n ** 63n), 2n ** 63n - 1n],
  [ScalarType.SINT64]: [-(2n ** 63n), 2n ** 63n - 1n],
  [ScalarType.SFIXED64]: [-(2n ** 63n), 2n ** 63n - 1n],
  [ScalarType.UINT64]: [0n, 2n ** 64n - 1n],
  [ScalarType.FIXED64]: [0n, 2n ** 64n - 1n],
}
const IS_64 = new Set([ScalarType.INT64, ScalarType.SINT64, ScalarType.SFIXED64, ScalarType.UINT64, ScalarType.FIXED64])
const DECIMAL = /^-?\d+$/
const BASE64 = /^[A-Za-z0-9+/\-_]*={0,2}$/

/** A secret string field (src/model/secret-fields.ts): a wrong value is described by its kind only, never shown. */
function readSecret(w: Walk, node: YamlNode, path: string): unknown {
  const v = isScalar(node) ? node.value : undefined
  if (typeof v === 'string') return v
  const quoteIt = typeof v === 'number' || typeof v === 'boolean' ? '; quote it' : ''
  return report(w, node, path, `expected a string, got ${kindOf(node)}${quoteIt} (the value is not shown: it is a secret)`)
}

/** What kind of value a node is, without the value: for places where the value may be a secret. */
function kindOf(node: YamlNode): string {
  const v = isScalar(node) ? node.value : undefined
  if (isMap(node)) return 'a mapping'
  if (isSeq(node)) return 'a list'
  if (typeof v === 'string') return 'a string'
  if (typeof v === 'number') return 'a number'
  if (typeof v === 'boolean') return 'true or false'
  return 'an unsupported value'
}

function readScalar(w: Walk, type: ScalarType, node: YamlNode, path: string): unknown {
  const v = isScalar(node) ? node.value : undefined
  switch (type) {
    case ScalarType.STRING:
      if (typeof v === 'string') return v
      return report(w, node, path, `expected a string, got ${describe(w, node)}` + (typeof v === 'number' || typeof v === 'boolean' ? `; quote it: "${sourceText(w, node)}"` : ''))
    case ScalarType.BOOL:
      if (typeof v === 'boolean') return v
      return report(w, node, path, `expected true or false, got ${describe(w, node)}`)
    case ScalarType.BYTES:
      if (typeof v === 'string' && BASE64.test(v)) return base64Decode(v)
      return report(w, node, path, `expected base64 text, got ${describe(w, node)}`)
    case ScalarType.FLOAT:
    case ScalarType.DOUBLE:
      if (typeof v === 'number') {
        if (type === ScalarType.FLOAT && Number.isFinite(v) && Math.abs(v) > 3.4028234663852886e38) return report(w, node, path, `${sourceText(w, node)} is out of range for a 32-bit float`)
        return v
      }
      if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return Number(v)
      return report(w, node, path, `expected a number, got ${describe(w, node)}`)
  }
  // Integers. 64-bit values may be strings (that is how proto3 JSON writes them); 32-bit ones must be numbers.
  const [min, max] = INT_RANGES[type]!
  const is64 = IS_64.has(type)
  let n: bigint | undefined
  if (typeof v === 'number' && Number.isInteger(v)) {
    // Past 2^53 the parsed number is rounded: take the digits as written.
    const text = sourceText(w, node)
    n = Number.isSafeInteger(v) ? BigInt(v) : DECIMAL.test(text) ? BigInt(text) : undefined
  }
  else if (is64 && typeof v === 'string' && DECIMAL.test(v)) n = BigInt(v)
  if (n === undefined || n < min || n > max) return report(w, node, path, `expected an integer from ${min} to ${max}, got ${describe(w, node)}`)
  return is64 ? protoInt64.parse(n.toString()) : Number(n)
}

// Enum lookup: full name (BACKEND_TYPE_REDIS) or short form (redis), case-insensitive; built once per enum.
const enumIndexes = new WeakMap<DescEnum, Map<string, number>>()
function enumIndex(desc: DescEnum): Map<string, number> {
  let index = enumIndexes.get(desc)
  if (!index) {
    index = new Map()
    for (const v of desc.values) {
      index.set(v.name.toLowerCase(), v.number)
      index.set(v.localName.toLowerCase(), v.number)
    }
    enumIndexes.set(desc, index)
  }
  return index
}

/** The short names users write, without the zero value: redis, nats, … */
export function enumChoices(desc: DescEnum): string[] {
  return desc.values.filter((v) => v.number !== 0).map((v) => v.localName.toLowerCase())
}

function readEnum(w: Walk, desc: DescEnum, node: YamlNode, path: string): number | undefined {
  const v = isScalar(node) ? node.value : undefined
  if (typeof v === 'string') {
    const n = enumIndex(desc).get(v.toLowerCase())
    if (n !== undefined) return n
  } else if (typeof v === 'number' && desc.values.some((e) => e.number === v)) {
    return v
  }
  const choices = enumChoices(desc)
  return report(w, node, path, `unknown ${desc.name} ${typeof v === 'string' ? quote(v) : describe(w, node)}; expected one of ${choices.join(', ')}${typeof v === 'string' ? didYouMean(v, choices) : ''}`)
}

// Resolves a proto3 JSON path against the YAML tree. Keys may be written in either style, so compare camelised.
const PATH_SEGMENT = /([^.[\]]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g
const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())

function locate(w: Walk, root: YamlNode, path: string): Position | undefined {
  let node: YamlNode | null = root
  let anchor: YamlNode | null = root
  for (const m of path.matchAll(PATH_SEGMENT)) {
    node = node && isAlias(node) ? (((w.doc && node.resolve(w.doc)) ?? null) as YamlNode | null) : node
    let next: YamlNode | null = null
    let keyNode: YamlNode | null = null
    if (m[2] !== undefined && isSeq(node)) {
      next = (node.items[Number(m[2])] as YamlNode | undefined) ?? null
      keyNode = next
    } else if (m[2] === undefined && isMap(node)) {
      const name = m[1] ?? (JSON.parse(m[3]!) as string)
      const pair = node.items.find((p) => isScalar(p.key) && (p.key.value === name || (typeof p.key.value === 'string' && camel(p.key.value) === name)))
      if (pair) {
        next = pair.value as YamlNode | null
        keyNode = pair.key as YamlNode
      }
    }
    if (!next && !keyNode) break
    node = next
    // Scalars point at the value; collections at their key (the value of a block mapping starts on the next line).
    anchor = next && isScalar(next) ? next : keyNode
  }
  const pos = at(w, anchor)
  return pos.line === undefined ? undefined : {line: pos.line, column: pos.column!}
}

// ---------------------------------------------------------------------------------------------------------------
// Export

/**
 * The proto3 JSON mapping with `kind` first, lowerCamelCase names in field order, default values left out, and
 * enums in their short lowercase form (`type: redis`) — what users write, so exports re-apply unchanged.
 */
export function toJsonObject(kind: Kind, message: Resource, opts: {includeStatus?: boolean} = {}): Record<string, unknown> {
  const plain = messageToPlain(schemaFor(kind), message as Message)
  if (opts.includeStatus === false) delete plain.status
  return {kind, ...plain}
}

export function toYaml(kind: Kind, message: Resource, opts: {includeStatus?: boolean} = {}): string {
  return stringify(toJsonObject(kind, message, {includeStatus: opts.includeStatus ?? false}), {lineWidth: 0})
}

function messageToPlain(desc: DescMessage, message: Message): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const record = message as unknown as Record<string, unknown>
  for (const field of desc.fields) {
    if (!isFieldSet(message, field)) continue
    const value = field.oneof ? (record[field.oneof.localName] as {value: unknown}).value : record[field.localName]
    switch (field.fieldKind) {
      case 'scalar':
        out[field.jsonName] = scalarToPlain(field.scalar, value)
        break
      case 'enum':
        out[field.jsonName] = enumToPlain(field.enum, value as number)
        break
      case 'message':
        out[field.jsonName] = messageValueToPlain(field.message, value as Message)
        break
      case 'list':
        out[field.jsonName] = (value as unknown[]).map((v) =>
          field.listKind === 'scalar' ? scalarToPlain(field.scalar, v) : field.listKind === 'enum' ? enumToPlain(field.enum, v as number) : messageValueToPlain(field.message, v as Message),
        )
        break
      case 'map': {
        const entries: Record<string, unknown> = {}
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
          entries[k] = field.mapKind === 'scalar' ? scalarToPlain(field.scalar, v) : field.mapKind === 'enum' ? enumToPlain(field.enum, v as number) : messageValueToPlain(field.message, v as Message)
        }
        out[field.jsonName] = entries
        break
      }
    }
  }
  return out
}

function messageValueToPlain(desc: DescMessage, value: Message): unknown {
  return desc.typeName === TimestampSchema.typeName ? toJson(TimestampSchema, value as never) : messageToPlain(desc, value)
}

function scalarToPlain(type: ScalarType, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (type === ScalarType.BYTES) return base64Encode(value as Uint8Array)
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value)
  return value
}

function enumToPlain(desc: DescEnum, value: number): string | number {
  // An open enum may carry a number this build does not know; proto3 JSON writes it as the number.
  return desc.value[value]?.localName.toLowerCase() ?? value
}

// ---------------------------------------------------------------------------------------------------------------
// Binary

export function encodeBinary(kind: Kind, message: Resource): Uint8Array {
  return toBinary(schemaFor(kind), message as never)
}

/** Decodes one binary message; corrupt, truncated or foreign input becomes a PrismError that says so. */
export function decodeBinary(kind: Kind, bytes: Uint8Array): Resource {
  const hint = `Binary input must be exactly one ${kind} message, as written by "prismctl convert --to binpb"; check --kind and that the file is complete.`
  if (bytes.length === 0) throw new PrismError(`the binary input is empty; expected a ${kind} message`, {hint, code: 'INVALID_ARGUMENT'})
  let message: Message
  try {
    message = fromBinary(schemaFor(kind), bytes) as Message
  } catch (err) {
    throw new PrismError(`the binary input is not a valid ${kind} message: ${(err as Error).message}`, {hint, code: 'INVALID_ARGUMENT'})
  }
  const unknown = unknownFields(schemaFor(kind), message, '')
  if (unknown.length) {
    throw new PrismError(`the binary input has fields a ${kind} does not have (${unknown.slice(0, 5).join(', ')}); converting it would lose them`, {hint, code: 'INVALID_ARGUMENT'})
  }
  return message as Resource
}

/** Field numbers protobuf-es kept as unknown, anywhere in the message, e.g. "#17 at patterns[0]". */
function unknownFields(desc: DescMessage, message: Message, path: string): string[] {
  const out = (message.$unknown ?? []).map((u) => `#${u.no}${path ? ` at ${path}` : ''}`)
  const record = message as unknown as Record<string, unknown>
  for (const field of desc.fields) {
    if (!isFieldSet(message, field)) continue
    const value = field.oneof ? (record[field.oneof.localName] as {value: unknown}).value : record[field.localName]
    const p = join(path, field.jsonName)
    if (field.fieldKind === 'message') out.push(...unknownFields(field.message, value as Message, p))
    else if (field.fieldKind === 'list' && field.listKind === 'message') (value as Message[]).forEach((v, i) => out.push(...unknownFields(field.message, v, `${p}[${i}]`)))
    else if (field.fieldKind === 'map' && field.mapKind === 'message') for (const [k, v] of Object.entries(value as Record<string, Message>)) out.push(...unknownFields(field.message, v, mapKeyPath(p, k)))
  }
  return out
}
