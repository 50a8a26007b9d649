import {Readable} from 'node:stream'
import {describe, expect, it} from 'vitest'

import {rejection} from '../../test/helpers/errors.js'
import {describeSource, loadDocuments} from './load.js'

const stdin = (text: string) => Readable.from([text])
const NS = 'kind: Namespace\nname: team-alpha\nteam: platform-team\n'
const BE = 'kind: Backend\nname: mem-dev\ntype: memstore\n'

describe('loadDocuments', () => {
  it('returns every document of every input, with where it came from', async () => {
    const {sources, docs} = await loadDocuments(['-'], {hint: 'h', stdin: stdin(`${NS}---\n${BE}`)})
    expect(sources.map((s) => s.file)).toEqual(['<stdin>'])
    expect(docs.map((d) => [d.kind, d.message.name, describeSource(d)])).toEqual([
      ['Namespace', 'team-alpha', '<stdin>'],
      ['Backend', 'mem-dev', '<stdin> (document 2)'],
    ])
  })

  it('reports a document of another kind with the caller advice, the outcome and the hint', async () => {
    const options = {kinds: ['Namespace' as const], kindAdvice: 'use "prismctl apply -f"', outcome: 'nothing was sent', hint: 'Fix it.'}
    const err = await rejection(loadDocuments(['-'], {...options, stdin: stdin(`${NS}---\n${BE}`)}))
    expect([err.message, err.hint, err.code]).toEqual(['<stdin>: 1 problem; nothing was sent', 'Fix it.', 'INVALID_ARGUMENT'])
    expect(err.details).toEqual(['<stdin>:5:7: kind: expected a Namespace document, found Backend; use "prismctl apply -f"'])
  })

  it('applies the validation rules unless told not to', async () => {
    const badName = 'kind: Namespace\nname: Bad_Name\nteam: platform-team\n'
    expect((await rejection(loadDocuments(['-'], {hint: 'h', stdin: stdin(badName)}))).details[0]).toMatch(/^<stdin>:2:7: name: namespace name "Bad_Name" is invalid/)
    expect((await loadDocuments(['-'], {hint: 'h', rules: false, stdin: stdin(badName)})).docs).toHaveLength(1)
  })

  it('refuses to run without any input', async () => {
    const err = await rejection(loadDocuments([], {hint: 'h'}))
    expect([err.message, err.exitCode]).toEqual(['no input to read', 2])
  })
})
