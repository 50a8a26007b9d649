/**
 * The bundle builds protobuf descriptors from literals written at build time (scripts/precomputed-descriptors.js)
 * instead of decoding base64 with descriptor.proto's schema. What the literals build must be what fromBinary gives:
 * the same own properties (protobuf-es tells set fields from defaults by them), the same defaults, the same bytes.
 */
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {fromBinary, toBinary} from '@bufbuild/protobuf'
import {base64Decode} from '@bufbuild/protobuf/wire'
import {FileDescriptorProtoSchema} from '@bufbuild/protobuf/wkt'
import {describe, expect, it} from 'vitest'

import {literalPrelude, messageLiteral, patchFileDesc, patchWktIndex, precomputeFile} from '../../scripts/precomputed-descriptors.js'
import {ROOT} from '../helpers/cli.js'

const decode = (b64: string) => fromBinary(FileDescriptorProtoSchema, base64Decode(b64))
const PROTOBUF = join(ROOT, 'node_modules/@bufbuild/protobuf/dist/esm')

function pbFiles(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true, recursive: true})
    .filter((e) => e.isFile() && /_pb\.(ts|js)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
}

/** Every object in the tree, with its own keys and its prototype's entries, in a comparable form. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape)
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value
  const own = Object.fromEntries(Object.keys(value).map((k) => [k, shape((value as Record<string, unknown>)[k])]))
  return {own, defaults: {...Object.getPrototypeOf(value)}}
}

/** Runs the expression the plugin writes for a decoded descriptor, and returns what it builds. */
function rebuilt(decoded: object): unknown {
  const prototypes = new Map<string, {index: number; literal: string}>()
  const expression = messageLiteral(decoded, prototypes)
  return new Function(`${literalPrelude(prototypes)}return ${expression}`)()
}

describe('precomputed descriptors', () => {
  const files = [...pbFiles(join(ROOT, 'src/gen')), ...pbFiles(join(PROTOBUF, 'wkt/google/protobuf')).filter((f) => !f.endsWith('descriptor_pb.js'))]

  it('build exactly what fromBinary decodes, for every generated file and well-known type', () => {
    let checked = 0
    for (const file of files) {
      const source = readFileSync(file, 'utf8')
      const b64 = source.match(/fileDesc\("([A-Za-z0-9+/=]+)"/)?.[1]
      if (!b64) continue
      const decoded = decode(b64)
      const hydrated = rebuilt(decoded) as typeof decoded
      expect(precomputeFile(source, decode), file).toContain(`fileDesc(() => ${messageLiteral(decoded, new Map())}`)
      expect(shape(hydrated), file).toEqual(shape(decoded))
      expect(toBinary(FileDescriptorProtoSchema, hydrated), file).toEqual(base64Decode(b64))
      checked++
    }
    expect(checked).toBeGreaterThan(10)
  })

  it('the patches of protobuf-es fail the build when the files they patch change', () => {
    const fileJs = readFileSync(join(PROTOBUF, 'codegenv2/file.js'), 'utf8')
    expect(patchFileDesc(fileJs)).toContain('typeof b64 === "function"')
    expect(patchFileDesc(fileJs)).not.toContain('import { FileDescriptorProtoSchema }')
    expect(() => patchFileDesc(fileJs.replace('base64Decode(b64)', 'decode(b64)'))).toThrow(/changed/)
    const index = readFileSync(join(PROTOBUF, 'wkt/index.js'), 'utf8')
    expect(patchWktIndex(index)).not.toContain('descriptor_pb')
    expect(patchWktIndex(index)).toContain('timestamp_pb')
    expect(() => patchWktIndex(index.replace('descriptor_pb', 'x_pb'))).toThrow(/changed/)
  })
})
