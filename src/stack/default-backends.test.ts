import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {toBinary} from '@bufbuild/protobuf'
import {describe, expect, it} from 'vitest'

import {BackendSchema} from '../gen/prism/admin/v1/resources_pb.js'
import type {Backend} from '../gen/prism/admin/v1/resources_pb.js'
import {parseDocuments} from '../model/documents.js'
import {MEMSTORE_DEV} from './default-backends.js'

const backends = (text: string, file: string) => parseDocuments(text, file).docs.map((d) => d.message as Backend)

describe("the dev stack's memstore-dev", () => {
  it('is the one in templates/examples/backends.yaml, so that applying the examples leaves it unchanged', () => {
    // A changed registration reconnects the backend, and a memstore loses its data with its connection.
    const file = join(import.meta.dirname, '../../templates/examples/backends.yaml')
    const example = backends(readFileSync(file, 'utf8'), file).find((b) => b.name === 'memstore-dev')
    const registered = backends(MEMSTORE_DEV, 'MEMSTORE_DEV')
    expect(example).toBeDefined()
    expect(registered).toHaveLength(1)
    expect(toBinary(BackendSchema, example!)).toEqual(toBinary(BackendSchema, registered[0]!))
  })
})
