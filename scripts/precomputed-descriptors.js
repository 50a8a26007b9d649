// An esbuild plugin for scripts/build.js. Generated protobuf code embeds each .proto file's descriptor as base64,
// which protobuf-es decodes at module load with the schema of descriptor.proto (a schema it first boots from a large
// literal), then turns into a graph of descriptor objects (DescFile); and '@bufbuild/protobuf/wkt' loads
// descriptor.proto and the feature-set files whether or not anything uses them. In a CLI process that lives 50 ms,
// that was ~15 ms of every command that touches a message. The plugin has protobuf-es build each file's DescFile at
// build time and writes it into the bundle as plain object creation (scripts/descriptor-literals.js), checked
// against the original object for object, and leaves the descriptor.proto schema to the one module that uses it
// (the gRPC reflection service).
import {readdirSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'

import {descFileExpression, literalPrelude, sameGraph} from './descriptor-literals.js'

const PB_FILE = /(?:[\\/]src[\\/]gen[\\/].*_pb\.ts|[\\/]@bufbuild[\\/]protobuf[\\/]dist[\\/]esm[\\/]wkt[\\/]google[\\/]protobuf[\\/][a-z_]+_pb\.js)$/
const FILE_JS = /[\\/]@bufbuild[\\/]protobuf[\\/]dist[\\/]esm[\\/]codegenv2[\\/]file\.js$/
const WKT_INDEX = /[\\/]@bufbuild[\\/]protobuf[\\/]dist[\\/]esm[\\/]wkt[\\/]index\.js$/
const FILE_DESC = /fileDesc\("([A-Za-z0-9+/=]+)"(?:, \[([\w, ]*)\])?\)/g
/** `export const file_x = /*@__PURE__*\/ fileDesc(…)`: a generated file's own descriptor, with FILE_DESC's groups after the name. */
const EXPORTED_FILE = new RegExp(String.raw`export const (file_\w+)[^=]*=\s*\/\*@__PURE__\*\/\s*` + FILE_DESC.source, 'g')
/** The identifiers in a fileDesc call's import list ("file_a, file_b"), as FILE_DESC and EXPORTED_FILE capture it. */
const importIds = (list) => (list ? list.split(/,\s*/) : [])
// Re-exported by '@bufbuild/protobuf/wkt' but used by nothing in prismctl except reflection (redirected below).
const UNUSED_WKT = ['cpp_features_pb', 'descriptor_pb', 'go_features_pb', 'java_features_pb', 'compiler/plugin_pb']

/**
 * A generated _pb file whose fileDesc("base64", [imports]) calls take the DescFile prebuilt instead. `descFile`
 * gives what protobuf-es builds for a call (and the imported DescFiles); what the bundle will build is checked
 * against it here, so a protobuf-es that builds something this does not write fails the build.
 */
export function precomputeFile(source, descFile) {
  const prototypes = new Map()
  const replaced = source.replace(FILE_DESC, (_, b64, ids) => {
    const {file, imports} = descFile(b64, importIds(ids))
    const expression = descFileExpression(file, imports, prototypes)
    sameGraph(file, new Function(`${literalPrelude(prototypes)}return ${expression}`)().prebuilt(imports), imports)
    return `fileDesc(${expression}${ids ? `, [${ids}]` : ''})`
  })
  const left = replaced.match(/fileDesc\("/)
  if (left) throw new Error(`precomputed descriptors: a fileDesc call this plugin does not read: ${replaced.slice(left.index, left.index + 60)}`)
  return prototypes.size === 0 ? source : `${literalPrelude(prototypes)}${replaced}`
}

/**
 * What protobuf-es builds at module load for a fileDesc call, built here: imports are the well-known types (from
 * '@bufbuild/protobuf/wkt') and the generated files in src/gen, by the names the generated code gives them.
 */
export async function buildTimeDescFiles(root) {
  const require = createRequire(join(root, 'package.json'))
  const {fileDesc} = await import(require.resolve('@bufbuild/protobuf/codegenv2'))
  const wkt = await import(require.resolve('@bufbuild/protobuf/wkt'))
  const generated = new Map()
  for (const entry of readdirSync(join(root, 'src/gen'), {withFileTypes: true, recursive: true})) {
    if (!entry.isFile() || !entry.name.endsWith('_pb.ts')) continue
    for (const [, id, b64, ids] of readFileSync(join(entry.parentPath, entry.name), 'utf8').matchAll(EXPORTED_FILE)) generated.set(id, {b64, ids: importIds(ids)})
  }
  const built = new Map()
  const resolve = (id) => {
    if (Object.hasOwn(wkt, id)) return wkt[id]
    if (!built.has(id)) {
      const g = generated.get(id)
      if (!g) throw new Error(`precomputed descriptors: no generated file defines ${id}`)
      built.set(id, fileDesc(g.b64, g.ids.map(resolve)))
    }
    return built.get(id)
  }
  return (b64, ids) => {
    const imports = ids.map(resolve)
    return {file: fileDesc(b64, imports), imports}
  }
}

/** codegenv2/file.js: fileDesc() takes a prebuilt DescFile, and no longer loads descriptor.proto's schema. */
export function patchFileDesc(source) {
  const signature = 'export function fileDesc(b64, imports) {'
  const importLine = 'import { FileDescriptorProtoSchema } from "../wkt/google/protobuf/descriptor_pb.js";'
  const decodeCall = 'fromBinary(FileDescriptorProtoSchema, base64Decode(b64))'
  if (![signature, importLine, decodeCall].every((s) => source.includes(s))) throw new Error('precomputed descriptors: codegenv2/file.js of @bufbuild/protobuf changed; update scripts/precomputed-descriptors.js')
  return source
    .replace(signature, `${signature}\n    if (typeof b64 === "object") return b64.prebuilt(imports);`)
    .replace(importLine, '')
    // Never reached: precomputeFile replaces every base64 descriptor (and fails the build where one is left).
    .replace(decodeCall, '(() => { throw new Error("fileDesc: a base64 descriptor in the bundle; scripts/precomputed-descriptors.js prebuilds them") })()')
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
  let descFiles
  return {
    name: 'precomputed-descriptors',
    setup(build) {
      // The reflection service encodes descriptors with descriptor.proto's schema: it gets it from its own file.
      build.onResolve({filter: /^@bufbuild\/protobuf\/wkt$/}, (args) => (/[\\/]src[\\/]api[\\/]reflection\.ts$/.test(args.importer) ? {path: descriptorPb} : undefined))
      build.onLoad({filter: PB_FILE}, async (args) => ({
        contents: precomputeFile(readFileSync(args.path, 'utf8'), await (descFiles ??= buildTimeDescFiles(root))),
        loader: args.path.endsWith('.ts') ? 'ts' : 'js',
      }))
      build.onLoad({filter: FILE_JS}, (args) => ({contents: patchFileDesc(readFileSync(args.path, 'utf8')), loader: 'js'}))
      build.onLoad({filter: WKT_INDEX}, (args) => ({contents: patchWktIndex(readFileSync(args.path, 'utf8')), loader: 'js'}))
    },
  }
}
