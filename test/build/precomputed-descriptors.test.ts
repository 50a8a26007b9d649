/**
 * The bundle gets each protobuf file's descriptor objects (protobuf-es's DescFile graph) from code written at build
 * time (scripts/precomputed-descriptors.js, scripts/descriptor-literals.js) instead of decoding base64 and building
 * the graph at module load. What that code builds must be what protobuf-es builds: the same objects, keys, values,
 * prototypes and references, and the same descriptor bytes.
 */
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {toBinary} from '@bufbuild/protobuf'
import type {DescFile} from '@bufbuild/protobuf'
import * as wkt from '@bufbuild/protobuf/wkt'
import {FileDescriptorProtoSchema} from '@bufbuild/protobuf/wkt'
import {describe, expect, it} from 'vitest'

import {descFileExpression, literalPrelude, sameGraph} from '../../scripts/descriptor-literals.js'
import {buildTimeDescFiles, patchFileDesc, patchWktIndex, precomputeFile} from '../../scripts/precomputed-descriptors.js'
import {ROOT} from '../helpers/cli.js'

const PROTOBUF = join(ROOT, 'node_modules/@bufbuild/protobuf/dist/esm')
const FILE_DESC = /fileDesc\("([A-Za-z0-9+/=]+)"(?:, \[([\w, ]*)\])?\)/

function pbFiles(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true, recursive: true})
    .filter((e) => e.isFile() && /_pb\.(ts|js)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
}

/** Runs what the bundle would run for one fileDesc call: the written expression, given the imported files. */
function rebuilt(file: DescFile, imports: DescFile[]): DescFile {
  const prototypes = new Map<string, {index: number; literal: string}>()
  const expression = descFileExpression(file, imports, prototypes)
  return (new Function(`${literalPrelude(prototypes)}return ${expression}`)() as {prebuilt: (d: DescFile[]) => DescFile}).prebuilt(imports)
}

describe('precomputed descriptors', () => {
  // The well-known types '@bufbuild/protobuf/wkt' exports (the bundle holds no others), but descriptor.proto.
  const exported = (f: string) => Object.hasOwn(wkt, readFileSync(f, 'utf8').match(/export const (file_\w+)/)?.[1] ?? '')
  const files = [...pbFiles(join(ROOT, 'src/gen')), ...pbFiles(join(PROTOBUF, 'wkt/google/protobuf')).filter((f) => exported(f) && !f.endsWith('descriptor_pb.js'))]

  it('build exactly the DescFile protobuf-es builds, for every generated file and well-known type', async () => {
    const descFile = await buildTimeDescFiles(ROOT)
    let checked = 0
    for (const path of files) {
      const source = readFileSync(path, 'utf8')
      const call = source.match(FILE_DESC)
      if (!call) continue
      const {file, imports} = descFile(call[1]!, call[2] ? call[2].split(/,\s*/) : [])
      const again = rebuilt(file, imports)
      expect(() => sameGraph(file, again, imports), path).not.toThrow()
      expect(again, path).not.toBe(file)
      expect(toBinary(FileDescriptorProtoSchema, again.proto), path).toEqual(toBinary(FileDescriptorProtoSchema, file.proto))
      // A message of an imported file is the imported object itself, not a copy.
      for (const message of again.messages) for (const field of message.fields) if (field.message && field.message.file !== again) expect(imports).toContain(field.message.file)
      expect(precomputeFile(source, descFile), path).toContain('fileDesc({prebuilt: (d) => {')
      checked++
    }
    expect(checked).toBeGreaterThan(10)
  })

  it('fails the build on a fileDesc call it cannot read', async () => {
    const descFile = await buildTimeDescFiles(ROOT)
    expect(() => precomputeFile('export const file_x = fileDesc("AAAA", [imports()])', descFile)).toThrow(/does not read/)
  })

  it('the check finds a graph that differs in a value, a key, a reference or a prototype', async () => {
    const descFile = await buildTimeDescFiles(ROOT)
    const source = readFileSync(join(ROOT, 'src/gen/prism/admin/v1/resources_pb.ts'), 'utf8')
    const call = source.match(FILE_DESC)!
    const {file, imports} = descFile(call[1]!, call[2]!.split(/,\s*/))
    const mutations: Array<[string, (f: DescFile) => void, RegExp]> = [
      ['a value', (f) => Object.assign(f.messages[0]!.fields[0]!, {number: 99}), /99 instead of 1/],
      ['a key', (f) => Object.assign(f.messages[0]!, {extra: true}), /keys/],
      ['a reference', (f) => Object.assign(f.messages[1]!.fields[0]!, {parent: f.messages[0]}), /different object|instead of/],
      ['an imported reference', (f) => Object.assign(f.messages.find((m) => m.name === 'ResourceMeta')!.fields[1]!, {message: structuredClone({})}), /imported object/],
      ['a prototype', (f) => Object.setPrototypeOf(f.messages[0]!.proto, {}), /defaults|keys/],
      ['a toString', (f) => Object.assign(f.enums[0]!, {toString: () => 'enum x'}), /instead of/],
    ]
    for (const [what, mutate, error] of mutations) {
      const again = rebuilt(file, imports)
      mutate(again)
      expect(() => sameGraph(file, again, imports), what).toThrow(error)
    }
  })

  it('the patches of protobuf-es fail the build when the files they patch change', () => {
    const fileJs = readFileSync(join(PROTOBUF, 'codegenv2/file.js'), 'utf8')
    expect(patchFileDesc(fileJs)).toContain('if (typeof b64 === "object") return b64.prebuilt(imports);')
    expect(patchFileDesc(fileJs)).not.toContain('descriptor_pb')
    expect(() => patchFileDesc(fileJs.replace('base64Decode(b64)', 'decode(b64)'))).toThrow(/changed/)
    expect(() => patchFileDesc(fileJs.replace('fileDesc(b64, imports)', 'fileDesc(b64, deps)'))).toThrow(/changed/)
    const index = readFileSync(join(PROTOBUF, 'wkt/index.js'), 'utf8')
    expect(patchWktIndex(index)).not.toContain('descriptor_pb')
    expect(patchWktIndex(index)).toContain('timestamp_pb')
    expect(() => patchWktIndex(index.replace('descriptor_pb', 'x_pb'))).toThrow(/changed/)
  })
})
