import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'
import {isMap, isScalar, isSeq, LineCounter, parseAllDocuments} from 'yaml'

import {PARSE_OPTIONS, readCommonYaml} from './yaml-fast-path.js'

const root = join(import.meta.dirname, '../..')

/** What the walk in documents.ts can see of a node: its class, value, type, format, source text and range. */
function tree(node: unknown): unknown {
  if (isScalar(node)) {
    const v = node.value
    return {scalar: typeof v === 'number' && Object.is(v, -0) ? '-0' : typeof v === 'bigint' ? `${v}n` : v, type: node.type, format: node.format, source: node.source, range: node.range}
  }
  if (isMap(node)) return {map: node.items.map((p) => [tree(p.key), tree(p.value)]), flow: Boolean(node.flow), range: node.range}
  if (isSeq(node)) return {seq: node.items.map(tree), flow: Boolean(node.flow), range: node.range}
  return {other: String(node)}
}

/** The fast path's reading of src next to the yaml library's; undefined when the fast path declined it. */
function both(src: string) {
  const fastLines = new LineCounter()
  const fast = readCommonYaml(src, fastLines)
  if (!fast) return undefined
  const libLines = new LineCounter()
  const lib = parseAllDocuments(src, {...PARSE_OPTIONS, lineCounter: libLines})
  const docs = Array.isArray(lib) ? lib : []
  return {
    fast: {docs: fast.map((d) => tree(d.contents)), problems: 0, lineStarts: fastLines.lineStarts},
    // Documents with nothing in them (a file of comments, a trailing ---) are skipped by the walk: the fast path leaves them out.
    lib: {
      docs: docs.filter((d) => !(d.contents === null || (isScalar(d.contents) && d.contents.value === null && d.contents.source === ''))).map((d) => tree(d.contents)),
      problems: docs.reduce((n, d) => n + d.errors.length + d.warnings.length, 0),
      lineStarts: libLines.lineStarts,
    },
  }
}

/** Expects the fast path to read src as the yaml library does, or to decline it; true when it read it. */
function agreesOrDeclines(src: string, label = src): boolean {
  const result = both(src)
  if (!result) return false
  expect(result.fast, label).toEqual(result.lib)
  return true
}

/** A seeded source of integers in [0, n) (mulberry32), so that a failing input can be found again. */
function seeded(seed: number): (n: number) => number {
  return (n) => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return (((t ^ (t >>> 14)) >>> 0) % n)
  }
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : yamlFiles(path)
    return /\.ya?ml$/.test(name) ? [path] : []
  })
}

describe('readCommonYaml', () => {
  it('reads every example exactly as the yaml library composes it', () => {
    const examples = yamlFiles(join(root, 'templates'))
    expect(examples.length).toBeGreaterThan(3)
    for (const file of examples) {
      const result = both(readFileSync(file, 'utf8'))
      // The examples are what users start from: they must take the fast path, or it has stopped paying.
      expect(result, file).toBeDefined()
      expect(result!.fast, file).toEqual(result!.lib)
    }
  })

  it('agrees with the yaml library on every test fixture it takes', () => {
    let taken = 0
    for (const file of [...yamlFiles(join(root, 'test')), ...yamlFiles(join(root, 'src'))]) {
      if (agreesOrDeclines(readFileSync(file, 'utf8'), file)) taken++
    }
    expect(taken).toBeGreaterThan(0)
  })

  it.each([
    ['scalars of every core type', 'a: 1\nb: -1\nc: +1\nd: 0x1F\ne: 0o17\nf: 1.5e3\ng: .inf\nh: -.Inf\ni: .NaN\nj: null\nk: ~\nl: Null\nm: true\nn: False\no: yes\np: 007\nq: 1.\nr: .5\ns: 12:30\nt: 9007199254740993\nu: -0\nv: 1_000\n'],
    ['quoting', `a: 'it''s'\nb: "x\\ny\\t\\"z\\u00e9\\\\"\nc: ''\nd: ""\n"e f": 1\n'g': 2\nh: "a # not a comment"\n`],
    ['comments and blank lines everywhere', '# head\n\nkind: Backend   # trailing\n\n# between\nname: x   \nlist:\n  # before an item\n  - a # c\n\n  - "q" # d\n# tail\n'],
    ['nesting', 'a:\n  b:\n    c: [1, [2, {x: y}], {}]\n    d: {e: "f", g: [h]}\n  i:\n  - j\n  - k: 1\n    l:\n      m: n\n  - []\no: p\n'],
    ['several documents', '---\na: 1\n---  # second\nb: [x]\n---\n# only a comment\n---\nc: d'],
    ['odd but plain text', 'a: b:c\nd: http://x.test/y?z=1#frag\ne: a, b [c] {d}\nf: "#x"\ng: -x\nh: x-\ni: é ü 漢\nj: a#b\nk: [a:b, "c d", \'e\']\n'],
    ['keys that are not strings', '1: a\ntrue: b\nnull: c\n0x10: d\n'],
    ['a list at the key indent', 'a:\n- 1\n- 2\nb:\n  - x:\n    - y\n'],
    ['a comment at column 0 after a list at the key indent', 'a:\n- 1\n# c\nb: 2\n'],
    ['a quoted key of 1022 characters', `"${'x'.repeat(1020)}": 1\n`],
    ['nesting 60 levels deep', Array.from({length: 59}, (_, i) => `${' '.repeat(i)}a:`).join('\n') + `\n${' '.repeat(59)}b: 1\n`],
  ])('%s', (_, src) => {
    const result = both(src)
    expect(result).toBeDefined()
    expect(result!.fast).toEqual(result!.lib)
  })

  it.each([
    ['an anchor and an alias', 'a: &x 1\nb: *x\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a block scalar', 'a: |\n  text\n'],
    ['a plain scalar over two lines', 'a: one\n  two\n'],
    ['a quoted scalar over two lines', 'a: "one\n  two"\n'],
    ['a flow collection over two lines', 'a: [1,\n  2]\n'],
    ['an empty value', 'a:\nb: 1\n'],
    ['a tab', 'a:\tb\n'],
    ['CRLF', 'a: 1\r\nb: 2\r\n'],
    ['a byte order mark', '\ufeffa: 1\n'],
    ['a byte order mark after a comment line', '# c\n\ufeffa: 1\n'],
    ['a directive', '%YAML 1.2\n---\na: 1\n'],
    ['a document end marker', 'a: 1\n...\n'],
    ['a nested mapping on one line', 'a: b: c\n'],
    ['bad indentation', 'a:\n  b: 1\n c: 2\n'],
    ['a list where a key belongs', 'a: 1\n- b\n'],
    ['a list at the root', '- a\n'],
    ['a scalar at the root', 'just text\n'],
    ['an unclosed quote', 'a: "b\n'],
    ['a trailing comma', 'a: [1, 2,]\n'],
    ['a rare escape', 'a: "\\x41"\n'],
    ['a comment without a space', 'a: "b"#c\n'],
    ['a complex key', '? a\n: b\n'],
    ['a key with a space before the colon', 'a : b\n'],
    ['a comment indented under a value', 'a: x\n  # c\nb: 1\n'],
    ['a quoted key over 1024 characters', `"${'x'.repeat(1023)}": 1\n`],
    ['a comment at the indent of a list before the next key', 'x:\n  a:\n  - 1\n  # c\n  b: 2\n'],
    ['the same comment under a compact mapping', 'x:\n- a:\n  - 1\n  # c\n  b: 2\n'],
    ['flow collections nested 1,000 deep', `a: ${'['.repeat(1000)}${']'.repeat(1000)}\n`],
    ['flow mappings nested 3,000 deep', `a: ${'{a: '.repeat(3000)}1${'}'.repeat(3000)}\n`],
    ['nesting past 64 levels', Array.from({length: 66}, (_, i) => `${' '.repeat(i)}a:`).join('\n') + `\n${' '.repeat(66)}b: 1\n`],
  ])('leaves %s to the yaml library', (_, src) => {
    expect(readCommonYaml(src, new LineCounter())).toBeUndefined()
  })

  it('agrees with the yaml library on generated documents, or declines them', () => {
    // A seeded generator around the subset's edges: scalars that resolve to each core type or almost do, every
    // quoting, flow and block forms, comments and blank lines; some of it is invalid YAML (which must be declined).
    const rand = seeded(7)
    const pick = <T>(xs: readonly T[]) => xs[rand(xs.length)]!
    const words = ['a', 'kind', 'Namespace', '1', '-1', '+1', '0x1F', '0o17', '0b1', '1e3', '1.5', '.5', '1.', '.inf', '-.inf', '.nan', 'null', '~', 'Null', 'NULL', 'true', 'True', 'FALSE', 'yes', 'on', '007', '1_000', '12:30', 'a:b', 'a b', 'a #b', 'a#b', "it's", '-', '-x', ':x', '?x', '%x', '@x', '!x', '&x', '*x', 'é', 'x:', 'a, b', '[a]', '{a}', ' ', '']
    const scalar = (inFlow: boolean): string => {
      const w = pick(words)
      switch (rand(4)) {
        case 0:
          return `'${w.replaceAll("'", "''")}'`
        case 1:
          return JSON.stringify(w)
        default:
          return inFlow && /[,[\]{}]/.test(w) ? JSON.stringify(w) : w
      }
    }
    const flow = (depth: number): string => {
      if (depth > 2 || rand(3) === 0) return scalar(true)
      const n = rand(3)
      if (rand(2) === 0) return `[${Array.from({length: n}, () => flow(depth + 1)).join(', ')}]`
      return `{${Array.from({length: n}, () => `${scalar(true)}: ${flow(depth + 1)}`).join(', ')}}`
    }
    const comment = () => (rand(4) === 0 ? `${' '.repeat(1 + rand(2))}# c` : rand(6) === 0 ? '  ' : '')
    const blank = () => (rand(6) === 0 ? pick(['\n', '# note\n', '  # indented note\n']) : '')
    const block = (indent: number, depth: number): string => {
      const pad = ' '.repeat(indent)
      const value = (): string => {
        const r = rand(depth > 2 ? 2 : 4)
        if (r === 0) return ` ${scalar(false)}${comment()}\n`
        if (r === 1) return ` ${flow(0)}${comment()}\n`
        if (r === 2) return `${comment()}\n${blank()}${block(indent + 2, depth + 1)}`
        return `${comment()}\n${blank()}${list(indent + pick([0, 2]), depth + 1)}`
      }
      return Array.from({length: 1 + rand(3)}, () => `${blank()}${pad}${scalar(false)}:${value()}`).join('')
    }
    const list = (indent: number, depth: number): string => {
      const pad = ' '.repeat(indent)
      return Array.from({length: 1 + rand(3)}, () => {
        const r = rand(3)
        if (r === 0) return `${pad}- ${scalar(false)}${comment()}\n`
        if (r === 1) return `${pad}- ${flow(0)}\n`
        return `${pad}- ${block(indent + 2, depth + 1).slice(indent + 2)}`
      }).join('')
    }
    let taken = 0
    for (let i = 0; i < 5000; i++) {
      const src = Array.from({length: 1 + rand(2)}, () => block(0, 0)).join(pick(['---\n', '--- # next\n']))
      if (agreesOrDeclines(src)) taken++
    }
    // The generator lands inside the subset often enough for this to test something.
    expect(taken).toBeGreaterThan(500)
  })

  it('agrees with the yaml library wherever a comment line goes, at any indent, or declines', () => {
    // Where a comment sits decides which node's range the library stretches over it.
    const bases = [
      'x:\n  a:\n  - 1\n  - c: 2\n    d: [3]\n  b: 2\ne: f\n',
      'x:\n- a:\n  - 1\n  b: 2\n- c\ny:\n  z: 1\n',
      'kind: Namespace\nname: ns\npatterns:\n  - name: p\n    requires: [{slot: s, backend: b}]\n    settings:\n      k: v\nlabels: {a: b}\n',
    ]
    let taken = 0
    for (const base of bases) {
      const lines = base.split('\n')
      for (let at = 0; at <= lines.length; at++) {
        for (let indent = 0; indent <= 8; indent++) {
          const src = [...lines.slice(0, at), `${' '.repeat(indent)}# c`, ...lines.slice(at)].join('\n')
          if (agreesOrDeclines(src)) taken++
        }
      }
    }
    expect(taken).toBeGreaterThan(40)
  })

  it('agrees with the yaml library on mutated examples, or declines them', () => {
    // Characters that matter to YAML deleted, inserted or replaced in the examples: mostly near-misses of valid
    // files and plain syntax errors, which the fast path must decline rather than read its own way.
    const examples = yamlFiles(join(root, 'templates/examples')).map((f) => readFileSync(f, 'utf8'))
    const rand = seeded(11)
    const chars = [...' :-#\'"[]{},\na0.\\?&*!|>']
    let taken = 0
    for (let i = 0; i < 3000; i++) {
      let src = examples[rand(examples.length)]!
      for (let k = 0; k < 1 + rand(3); k++) {
        const p = rand(src.length)
        const c = chars[rand(chars.length)]!
        src = [src.slice(0, p) + src.slice(p + 1), src.slice(0, p) + c + src.slice(p), src.slice(0, p) + c + src.slice(p + 1)][rand(3)]!
      }
      if (agreesOrDeclines(src)) taken++
    }
    expect(taken).toBeGreaterThan(500)
  })
})
