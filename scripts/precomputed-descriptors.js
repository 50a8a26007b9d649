// An esbuild plugin for scripts/build.js. Generated protobuf code embeds each .proto file's descriptor as base64,
// which protobuf-es decodes at module load with the schema of descriptor.proto, a schema it first builds (boots)
// from a large literal; and '@bufbuild/protobuf/wkt' loads descriptor.proto and the feature-set files whether or not
// anything uses them. In a CLI process that lives 100 ms, that is ~15 ms of every command that touches a message.
// The plugin decodes the descriptors at build time instead and writes them into the bundle as object literals of
// the same shape fromBinary gives (own properties for set fields, defaults on a prototype), and leaves the
// descriptor.proto schema to the one module that uses it (the gRPC reflection service).
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'

const PB_FILE = /(?:[\\/]src[\\/]gen[\\/].*_pb\.ts|[\\/]@bufbuild[\\/]protobuf[\\/]dist[\\/]esm[\\/]wkt[\\/]google[\\/]protobuf[\\/][a-z_]+_pb\.js)$/
const FILE_JS = /[\\/]@bufbuild[\\/]protobuf[\\/]dist[\\/]esm[\\/]codegenv2[\\/]file\.js$/
const WKT_INDEX = /[\\/]@bufbuild[\\/]protobuf[\\/]dist[\\/]esm[\\/]wkt[\\/]index\.js$/
const FILE_DESC = /fileDesc\("([A-Za-z0-9+/=]+)"/g
// Re-exported by '@bufbuild/protobuf/wkt' but used by nothing in prismctl except reflection (redirected below).
const UNUSED_WKT = ['cpp_features_pb', 'descriptor_pb', 'go_features_pb', 'java_features_pb', 'compiler/plugin_pb']

/**
 * A JavaScript expression that builds `message` (a decoded protobuf-es message of descriptor.proto) again: every
 * message object from its type's defaults (a prototype, written once into `prototypes`) and its own properties.
 */
export function messageLiteral(message, prototypes) {
  const emit = (value) => {
    if (Array.isArray(value)) return `[${value.map(emit).join(',')}]`
    if (value instanceof Uint8Array) return `new Uint8Array([${value.join(',')}])`
    if (typeof value === 'bigint') return `${value}n`
    if (value !== null && typeof value === 'object') return emitMessage(value)
    if (['string', 'number', 'boolean'].includes(typeof value)) return JSON.stringify(value)
    throw new Error(`precomputed descriptors: cannot write ${String(value)}`)
  }
  const emitMessage = (msg) => {
    if (typeof msg.$typeName !== 'string') throw new Error('precomputed descriptors: an object that is not a message')
    if (!prototypes.has(msg.$typeName)) {
      const defaults = Object.getPrototypeOf(msg)
      if (Object.getPrototypeOf(defaults) !== Object.prototype) throw new Error(`precomputed descriptors: unexpected prototypes of ${msg.$typeName}`)
      const fields = Object.entries(defaults).map(([k, v]) => {
        if (v !== null && typeof v === 'object') throw new Error(`precomputed descriptors: a default that is not a scalar: ${msg.$typeName}.${k}`)
        return `${JSON.stringify(k)}:${emit(v)}`
      })
      prototypes.set(msg.$typeName, {index: prototypes.size, literal: `{${fields.join(',')}}`})
    }
    const own = Object.keys(msg).map((k) => `${JSON.stringify(k)}:${emit(msg[k])}`)
    return `__prismDesc(${prototypes.get(msg.$typeName).index},{${own.join(',')}})`
  }
  return emit(message)
}

/** A generated _pb file whose fileDesc("base64") calls take a function building the decoded descriptor instead. */
export function precomputeFile(source, decode) {
  const prototypes = new Map()
  const replaced = source.replace(FILE_DESC, (_, b64) => `fileDesc(() => ${messageLiteral(decode(b64), prototypes)}`)
  return prototypes.size === 0 ? source : `${literalPrelude(prototypes)}${replaced}`
}

/** The definitions messageLiteral's expressions use: the defaults of each message type, and the helper. */
export function literalPrelude(prototypes) {
  const table = [...prototypes.values()].map((p) => p.literal).join(',')
  return `const __prismDescDefaults=[${table}];\nconst __prismDesc=(i,own)=>Object.assign(Object.create(__prismDescDefaults[i]),own);\n`
}

/** codegenv2/file.js: fileDesc() takes a precomputed descriptor; descriptor.proto's schema only for base64. */
export function patchFileDesc(source) {
  const importLine = 'import { FileDescriptorProtoSchema } from "../wkt/google/protobuf/descriptor_pb.js";'
  const decodeCall = 'fromBinary(FileDescriptorProtoSchema, base64Decode(b64))'
  if (!source.includes(importLine) || !source.includes(decodeCall)) throw new Error('precomputed descriptors: codegenv2/file.js of @bufbuild/protobuf changed; update scripts/precomputed-descriptors.js')
  return source
    .replace(importLine, '')
    .replace(decodeCall, '(typeof b64 === "function" ? b64() : fromBinary(require("../wkt/google/protobuf/descriptor_pb.js").FileDescriptorProtoSchema, base64Decode(b64)))')
}

/** wkt/index.js without the files nothing here imports from it (so loading it does not build them). */
export function patchWktIndex(source) {
  let out = source
  for (const name of UNUSED_WKT) {
    const line = `export * from "./google/protobuf/${name}.js";`
    if (!out.includes(line)) throw new Error(`precomputed descriptors: wkt/index.js of @bufbuild/protobuf changed (${name}); update scripts/precomputed-descriptors.js`)
    out = out.replace(line, '')
  }
  return out
}

export function precomputedDescriptors(root) {
  const require = createRequire(join(root, 'package.json'))
  const descriptorPb = join(dirname(require.resolve('@bufbuild/protobuf')), '../esm/wkt/google/protobuf/descriptor_pb.js')
  let decode
  const decoder = async () => {
    if (!decode) {
      const {fromBinary} = await import('@bufbuild/protobuf')
      const {base64Decode} = await import('@bufbuild/protobuf/wire')
      const {FileDescriptorProtoSchema} = await import('@bufbuild/protobuf/wkt')
      decode = (b64) => fromBinary(FileDescriptorProtoSchema, base64Decode(b64))
    }
    return decode
  }
  return {
    name: 'precomputed-descriptors',
    setup(build) {
      // The reflection service encodes descriptors with descriptor.proto's schema: it gets it from its own file.
      build.onResolve({filter: /^@bufbuild\/protobuf\/wkt$/}, (args) => (/[\\/]src[\\/]api[\\/]reflection\.ts$/.test(args.importer) ? {path: descriptorPb} : undefined))
      build.onLoad({filter: PB_FILE}, async (args) => ({
        contents: precomputeFile(readFileSync(args.path, 'utf8'), await decoder()),
        loader: args.path.endsWith('.ts') ? 'ts' : 'js',
      }))
      build.onLoad({filter: FILE_JS}, (args) => ({contents: patchFileDesc(readFileSync(args.path, 'utf8')), loader: 'js'}))
      build.onLoad({filter: WKT_INDEX}, (args) => ({contents: patchWktIndex(readFileSync(args.path, 'utf8')), loader: 'js'}))
    },
  }
}
