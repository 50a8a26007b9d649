// What scripts/precomputed-descriptors.js writes into the bundle for protobuf descriptors, and the check the build
// runs on it. test/build/precomputed-descriptors.test.ts tests them.

/** The index in `prototypes` of the defaults of `msg`'s message type (added on first use). */
function prototypeIndex(msg, prototypes) {
  if (typeof msg.$typeName !== 'string') throw new Error('precomputed descriptors: an object that is not a message')
  if (!prototypes.has(msg.$typeName)) {
    const defaults = Object.getPrototypeOf(msg)
    if (Object.getPrototypeOf(defaults) !== Object.prototype) throw new Error(`precomputed descriptors: unexpected prototypes of ${msg.$typeName}`)
    const fields = Object.entries(defaults).map(([k, v]) => {
      if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) throw new Error(`precomputed descriptors: a default that is not a scalar: ${msg.$typeName}.${k}`)
      return `${JSON.stringify(k)}:${scalarLiteral(v)}`
    })
    prototypes.set(msg.$typeName, {index: prototypes.size, literal: `{${fields.join(',')}}`})
  }
  return prototypes.get(msg.$typeName).index
}

/** A scalar value of a descriptor (or of a descriptor object) as JavaScript. */
function scalarLiteral(value) {
  if (value === undefined) return 'undefined'
  if (value instanceof Uint8Array) return `new Uint8Array([${value.join(',')}])`
  if (typeof value === 'bigint') return `${value}n`
  if (['string', 'number', 'boolean'].includes(typeof value) || value === null) return Object.is(value, -0) ? '-0' : JSON.stringify(value)
  throw new Error(`precomputed descriptors: cannot write ${String(value)}`)
}

/** What descFileExpression's expressions refer to: the defaults of each descriptor message type, and a helper. */
export function literalPrelude(prototypes) {
  const table = [...prototypes.values()].map((p) => p.literal).join(',')
  return `const __prismDescDefaults=[${table}];\nconst __prismDesc=(i,own)=>Object.assign(Object.create(__prismDescDefaults[i]),own);\n`
}

/**
 * protobuf-es turns each file's descriptor into a graph of descriptor objects (DescFile: messages, fields, enums
 * and their cross-references) at module load, resolving names, JSON names and edition features on the way: ~3 ms
 * of a short CLI process, most of it cold code. descFileExpression writes the graph protobuf-es built at build time
 * as plain object creation; sameGraph is the check the build runs on it. (A JSON form with one shared decoder was
 * measured too: the decoder, cold in a short process, took as long as protobuf-es.)
 */

/**
 * Paths from `d` (the file's imports, as fileDesc receives them) to every object of the imported files' graphs, so
 * that references into them (a field of type google.protobuf.Timestamp) point at the imported objects themselves.
 */
const pathsOf = new WeakMap()
function importPaths(imports) {
  // descFileExpression and sameGraph are given the same imports for a file: walk them once.
  const known = pathsOf.get(imports)
  if (known) return known
  const paths = new Map()
  pathsOf.set(imports, paths)
  const queue = imports.map((file, i) => [file, `d[${i}]`])
  while (queue.length > 0) {
    const [value, path] = queue.shift()
    if (value === null || typeof value !== 'object' || paths.has(value)) continue
    paths.set(value, path)
    for (const [key, v] of Object.entries(value)) queue.push([v, Array.isArray(value) ? `${path}[${key}]` : `${path}[${JSON.stringify(key)}]`])
  }
  return paths
}

const isMessage = (value) => typeof value.$typeName === 'string'

/**
 * The argument for fileDesc that builds `file` (protobuf-es's DescFile for one .proto file) again given its
 * imports' DescFiles: `{prebuilt: (d) => DescFile}`. Every object and array is created with its own keys in their
 * order, references linked once all exist; descriptor protos get the defaults of their type as prototype (as
 * fromBinary gives them); toString and getDefaultValue become functions returning what the originals return
 * (values fixed once built). Throws for anything else it meets.
 */
export function descFileExpression(file, imports, prototypes) {
  const external = importPaths(imports)
  const names = new Map()
  const order = []
  const visit = (value) => {
    if (value === null || typeof value !== 'object' || value instanceof Uint8Array || external.has(value) || names.has(value)) return
    names.set(value, `o${names.size}`)
    order.push(value)
    for (const v of Object.values(value)) visit(v)
  }
  visit(file)
  /** The value as JavaScript; undefined for an object, which is linked after every object exists. */
  const literal = (value, owner, key) => {
    if (typeof value === 'function') {
      if (key !== 'toString' && key !== 'getDefaultValue') throw new Error(`prebuilt registry: a function at ${key} of ${owner.kind ?? owner.$typeName}`)
      const result = value.call(owner)
      if (result !== undefined && typeof result !== 'string') throw new Error(`prebuilt registry: ${key} of ${String(owner)} returns ${typeof result}`)
      return `() => ${scalarLiteral(result)}`
    }
    if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) return undefined
    return scalarLiteral(value)
  }
  const ref = (value) => external.get(value) ?? names.get(value)
  const creations = []
  const links = []
  for (const value of order) {
    const name = names.get(value)
    if (Array.isArray(value)) {
      creations.push(`${name}=[]`)
      if (value.length > 0) links.push(`${name}.push(${value.map((v) => literal(v, value, '') ?? ref(v)).join(',')})`)
      continue
    }
    if (Object.getPrototypeOf(value) !== Object.prototype && !isMessage(value)) throw new Error(`prebuilt registry: an object of an unknown class in ${String(file)}`)
    const fields = Object.keys(value).map((key) => {
      const descriptor = Object.getOwnPropertyDescriptor(value, key)
      if (descriptor.get || !descriptor.writable || !descriptor.configurable) throw new Error(`prebuilt registry: ${key} is not a plain property`)
      const js = literal(value[key], value, key)
      if (js === undefined) links.push(`${name}[${JSON.stringify(key)}]=${ref(value[key])}`)
      return `${JSON.stringify(key)}:${js ?? 'undefined'}`
    })
    const own = `{${fields.join(',')}}`
    creations.push(isMessage(value) ? `${name}=__prismDesc(${prototypeIndex(value, prototypes)},${own})` : `${name}=${own}`)
  }
  return `{prebuilt: (d) => {const ${creations.join(',')};${links.join(';')};return o0}}`
}

/** Throws unless `rebuilt` is `real` again: the same keys, values, prototypes and references, object for object. */
export function sameGraph(real, rebuilt, imports) {
  const external = importPaths(imports)
  const pairs = new Map()
  const fail = (path, why) => {
    throw new Error(`prebuilt registry: ${path}: ${why}`)
  }
  const compare = (a, b, path) => {
    if (typeof a === 'function') {
      // getDefaultValue (toString is compared by its result on the object, below)
      if (typeof b !== 'function' || !Object.is(a(), b())) fail(path, 'returns something else')
      return
    }
    if (a === null || typeof a !== 'object') {
      if (!Object.is(a, b)) fail(path, `${String(b)} instead of ${String(a)}`)
      return
    }
    if (external.has(a)) {
      if (a !== b) fail(path, `not the imported object ${external.get(a)}`)
      return
    }
    if (pairs.has(a)) {
      if (pairs.get(a) !== b) fail(path, 'a different object where the original shares one')
      return
    }
    pairs.set(a, b)
    if (b === null || typeof b !== 'object') fail(path, 'not an object')
    if (a instanceof Uint8Array) {
      if (!(b instanceof Uint8Array) || a.join() !== b.join()) fail(path, 'other bytes')
      return
    }
    if (Array.isArray(a) !== Array.isArray(b)) fail(path, 'array and non-array')
    const protoA = Object.getPrototypeOf(a)
    const protoB = Object.getPrototypeOf(b)
    if ((protoA === Object.prototype) !== (protoB === Object.prototype)) fail(path, 'another prototype')
    if (!Array.isArray(a) && protoA !== Object.prototype) compare({...protoA}, {...protoB}, `${path}.<defaults>`)
    const keysA = Object.keys(a)
    const keysB = Object.keys(b)
    if (keysA.join() !== keysB.join()) fail(path, `keys ${keysB} instead of ${keysA}`)
    for (const key of keysA) {
      const va = a[key]
      const vb = b[key]
      if (typeof va === 'function' && key === 'toString') {
        if (va.call(a) !== vb.call(b)) fail(`${path}.${key}`, `"${vb.call(b)}" instead of "${va.call(a)}"`)
      } else {
        compare(va, vb, `${path}.${key}`)
      }
    }
  }
  compare(real, rebuilt, String(real))
}
