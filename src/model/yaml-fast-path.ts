/**
 * A fast path for the YAML that resource files are written in: block mappings and lists, flow collections and
 * scalars on one line, comments and `---`. The yaml library is general, and in a CLI process that lives 70 ms its
 * code runs cold: it took ~11 ms of `prismctl validate` for a 1.6 KB file. This reader builds the node tree the
 * library composes (its node classes, scalars resolved by its own core schema tags, the same ranges and line starts)
 * and returns undefined for anything outside that subset: anchors, aliases, tags, block scalars, scalars over
 * several lines, empty values, tabs, CRLF, byte order marks, nesting past 64 levels, keys past 1,024 characters,
 * comments the library would count into a node's range, and every syntax error. The library then reads the file as
 * before, so its error messages stay the only ones. yaml-fast-path.test.ts compares both trees over the examples
 * and generated, mutated and commented corpora; two fuzzing reviews (5.5 million inputs) found what is declined now.
 */
import {Document, Pair, Scalar, YAMLMap, YAMLSeq} from 'yaml'
import type {DocumentOptions, LineCounter, ParseOptions, ScalarTag, Schema, SchemaOptions} from 'yaml'

/** The options parseDocuments gives the yaml library; the fast path resolves scalars under the same ones. */
export const PARSE_OPTIONS = {prettyErrors: false, uniqueKeys: false} as const

/** What the walk in documents.ts reads of a composed document. */
export interface FastDocument {
  contents: YAMLMap
  errors: []
  warnings: []
}

type YamlNode = Scalar | YAMLMap | YAMLSeq
/** A block mapping key read: its node, and the offset just past its ':'. */
interface Key {
  node: Scalar
  after: number
}

/** Thrown anywhere below for input outside the subset; readCommonYaml then returns undefined. */
class Unsupported extends Error {}
const unsupported = (): never => {
  throw new Unsupported()
}

interface Line {
  /** Offset of the line's first character. */
  start: number
  /** Offset of its '\n', or the end of the input. */
  end: number
  /** Spaces before its content. */
  indent: number
}

let defaults: {schema: Schema; options: Required<DocumentOptions & ParseOptions & SchemaOptions>; str: ScalarTag} | undefined
function resolution() {
  if (!defaults) {
    const doc = new Document(null, PARSE_OPTIONS)
    const schema = doc.schema
    const str = schema.tags.find((t): t is ScalarTag => t.tag === 'tag:yaml.org,2002:str' && !t.collection)
    // A schema that resolves scalars some other way (YAML 1.1 compatibility) is not one this reader knows.
    if (!str || schema.compat) throw new Error('yaml fast path: the core schema has changed; update src/model/yaml-fast-path.ts')
    defaults = {schema, options: doc.options as Required<DocumentOptions & ParseOptions & SchemaOptions>, str}
  }
  return defaults
}

/** The documents of `src`, as the yaml library would compose them; undefined when `src` is outside the subset. */
export function readCommonYaml(src: string, lc: LineCounter): FastDocument[] | undefined {
  // The library drops a byte order mark at the start of any line before the first content, not only the file's.
  if (src.includes('\t') || src.includes('\r') || src.includes('\ufeff')) return undefined
  const lines: Line[] = []
  for (let start = 0; start <= src.length; ) {
    let end = src.indexOf('\n', start)
    if (end < 0) end = src.length
    let indent = 0
    while (src.charCodeAt(start + indent) === 32) indent++
    lines.push({start, end, indent})
    start = end + 1
  }
  try {
    const docs = new Reader(src, lines).documents()
    for (const line of lines) lc.addNewLine(line.start)
    return docs
  } catch (err) {
    if (err instanceof Unsupported) return undefined
    throw err
  }
}

const SPACE = 32
const HASH = 35
/** Characters a plain scalar cannot start with (YAML 1.2's c-indicator). */
const INDICATORS = new Set([...'-?:,[]{}#&*!|>\'"%@`'])
const FLOW_INDICATORS = new Set([...',[]{}'])
const MAX_KEY_CHARS = 1024
/** Collections nested deeper than this are the library's (which words "nested too deeply"); none of ours nests past 10. */
const MAX_NESTING = 64

class Reader {
  /** The line being read. */
  private li = 0
  /** Collections (block and flow) open around the one being read. */
  private depth = 0
  /** The deepest comment line between the last content and the line peek() stopped at (-1: none). */
  private commentBefore = -1
  /** The library's core schema, its options and its str tag, looked up once. */
  private readonly res = resolution()

  constructor(
    private readonly src: string,
    private readonly lines: Line[],
  ) {}

  documents(): FastDocument[] {
    const docs: FastDocument[] = []
    for (;;) {
      const li = this.peek()
      if (li === undefined) {
        if (this.li >= this.lines.length) return docs
        this.li++ // past a `---`
        continue
      }
      const line = this.lines[li]!
      if (line.indent !== 0) unsupported()
      docs.push({contents: this.blockMap(li, line.start), errors: [], warnings: []})
      if (this.peek() !== undefined) unsupported()
    }
  }

  /**
   * Moves past blank and comment lines to the next line with content; undefined at the end of the input or at a
   * `---` (left as the current line). Other document markers and directives are outside the subset, and so are
   * comments indented deeper than the content after them: the library counts those into the range of the node
   * before them.
   */
  private peek(): number | undefined {
    const {src, lines} = this
    const from = this.li
    let deepestComment = -1
    for (; this.li < lines.length; this.li++) {
      const line = lines[this.li]!
      const at = line.start + line.indent
      if (at === line.end) continue
      if (src.charCodeAt(at) === HASH) {
        deepestComment = Math.max(deepestComment, line.indent)
        continue
      }
      if (deepestComment > line.indent) unsupported()
      // Peeking again from the line found keeps what was skipped to reach it.
      if (this.li !== from) this.commentBefore = deepestComment
      if (line.indent === 0 && (src.startsWith('---', at) || src.startsWith('...', at)) && (at + 3 === line.end || src.charCodeAt(at + 3) === SPACE)) {
        if (src[at] === '.' || !this.restIsBlank(line, at + 3)) unsupported()
        return undefined
      }
      return this.li
    }
    if (deepestComment > 0) unsupported()
    return undefined
  }

  /** Only spaces, or spaces and a comment, from `from` to the end of the line. */
  private restIsBlank(line: Line, from: number): boolean {
    let p = from
    while (p < line.end && this.src.charCodeAt(p) === SPACE) p++
    return p === line.end || (p > from && this.src.charCodeAt(p) === HASH)
  }

  /** Offset just past the line's '\n' (or the end of the input): where a block value's range ends. */
  private lineEnd(li: number): number {
    const line = this.lines[li]!
    return line.end < this.src.length ? line.end + 1 : line.end
  }

  private isSeqItem(li: number): boolean {
    const line = this.lines[li]!
    return this.isSeqItemAt(line, line.start + line.indent)
  }

  /** A `-` at p followed by a space or the line's end. */
  private isSeqItemAt(line: Line, p: number): boolean {
    return this.src.charCodeAt(p) === 45 /* - */ && (p + 1 === line.end || this.src.charCodeAt(p + 1) === SPACE)
  }

  /** The block at line li: a list or a mapping. */
  private blockNode(li: number): YAMLMap | YAMLSeq {
    const line = this.lines[li]!
    if (this.isSeqItem(li)) return this.blockSeq(li)
    return this.blockMap(li, line.start + line.indent)
  }

  /**
   * A block mapping whose first key starts at `at` on line li (mid-line for a mapping that is a list item); `first`
   * is that key when the caller has already read it to tell a mapping from a scalar.
   */
  private blockMap(li: number, at: number, first?: Key): YAMLMap {
    const line = this.lines[li]!
    const col = at - line.start
    if (++this.depth > MAX_NESTING) unsupported()
    const map = new YAMLMap(this.res.schema)
    const start = at
    let end = at
    for (;;) {
      const key = first ?? this.keyAt(li, at) ?? unsupported()
      first = undefined
      const value = this.value(li, key.after, col)
      map.items.push(new Pair(key.node, value))
      end = value.range![2]
      const next = this.peek()
      if (next === undefined) break
      const nextLine = this.lines[next]!
      if (nextLine.indent < col) break
      // Deeper: a scalar going on over lines, or a mistake; a list at this indent: a mistake. Either is the library's.
      if (nextLine.indent > col || this.isSeqItem(next)) unsupported()
      li = next
      at = nextLine.start + col
    }
    map.range = [start, end, end]
    this.depth--
    return map
  }

  /** A block list whose first `-` is on line li. */
  private blockSeq(li: number): YAMLSeq {
    const col = this.lines[li]!.indent
    if (++this.depth > MAX_NESTING) unsupported()
    const seq = new YAMLSeq(this.res.schema)
    const start = this.lines[li]!.start + col
    let end = start
    for (;;) {
      const line = this.lines[li]!
      const dash = line.start + col
      let p = dash + 1
      while (p < line.end && this.src.charCodeAt(p) === SPACE) p++
      let item: YamlNode
      let key: Key | undefined
      if (p === line.end || this.src.charCodeAt(p) === HASH) {
        item = this.nestedBlock(li, col, false)
      } else if (this.isSeqItemAt(line, p)) {
        return unsupported() // "- - x": rare in resources; the library reads it
      } else if ((key = this.keyAt(li, p))) {
        item = this.blockMap(li, p, key)
      } else {
        item = this.inline(li, p)
      }
      seq.items.push(item)
      end = item.range![2]
      const next = this.peek()
      if (next === undefined) break
      const nextLine = this.lines[next]!
      if (nextLine.indent < col) break
      if (nextLine.indent > col) unsupported()
      if (!this.isSeqItem(next)) {
        // The next key of the mapping this list is the value of. A comment at the list's indent before it is the
        // list's in the library (its range ends after the comment), except at column 0.
        if (col > 0 && this.commentBefore >= col) unsupported()
        break
      }
      li = next
    }
    seq.range = [start, end, end]
    this.depth--
    return seq
  }

  /**
   * The value after a key's ':' (at `after`) of a mapping at column `col`: on the same line, or a block on the
   * lines below. An empty value is outside the subset (the library decides where its null is).
   */
  private value(li: number, after: number, col: number): YamlNode {
    const line = this.lines[li]!
    let p = after
    while (p < line.end && this.src.charCodeAt(p) === SPACE) p++
    if (p === line.end || this.src.charCodeAt(p) === HASH) return this.nestedBlock(li, col, true)
    return this.inline(li, p)
  }

  /** The block below line li, for a key or a `-` at column `col`; a mapping's value may be a list at `col` itself. */
  private nestedBlock(li: number, col: number, inMap: boolean): YAMLMap | YAMLSeq {
    this.li = li + 1
    const next = this.peek()
    if (next === undefined) return unsupported()
    const indent = this.lines[next]!.indent
    if (indent > col || (inMap && indent === col && this.isSeqItem(next))) return this.blockNode(next)
    return unsupported()
  }

  /** A scalar or a flow collection starting at p on line li, ending on that line (a comment may follow). */
  private inline(li: number, p: number): YamlNode {
    const line = this.lines[li]!
    const {src} = this
    const c = src[p]!
    let node: YamlNode
    let endOfValue: number
    if (c === '[' || c === '{') {
      node = this.flow(line, p)
      endOfValue = node.range![1]
    } else if (c === '"' || c === "'") {
      node = this.quoted(line, p)
      endOfValue = node.range![1]
    } else {
      if (!this.plainStart(line, p)) unsupported()
      let e = p
      while (e < line.end && !(src.charCodeAt(e) === HASH && src.charCodeAt(e - 1) === SPACE)) e++
      while (src.charCodeAt(e - 1) === SPACE) e--
      const text = src.slice(p, e)
      // "a: b: c" and "a: b:" are errors the library words.
      if (text.includes(': ') || text.endsWith(':')) unsupported()
      node = this.plain(text, p, false)
      endOfValue = e
    }
    if (!this.restIsBlank(line, endOfValue)) unsupported()
    node.range = [node.range![0], node.range![1], this.lineEnd(li)]
    this.li = li + 1
    return node
  }

  /** Whether a plain scalar may start at p: not at an indicator, except "-" before a character such as in "-1". */
  private plainStart(line: Line, p: number): boolean {
    const c = this.src[p]!
    if (!INDICATORS.has(c)) return true
    const next = this.src[p + 1]
    return c === '-' && p + 1 < line.end && next !== ' ' && !FLOW_INDICATORS.has(next!)
  }

  /** A block mapping key at p on line li (plain or quoted, then ':' and a space or the line's end), if there is one. */
  private keyAt(li: number, p: number): Key | undefined {
    const line = this.lines[li]!
    const {src} = this
    const c = src[p]
    if (c === '"' || c === "'") {
      const node = this.quotedOrNone(line, p)
      if (!node) return undefined
      const colon = node.range![1]
      if (src[colon] !== ':' || !(colon + 1 === line.end || src.charCodeAt(colon + 1) === SPACE) || colon - p > MAX_KEY_CHARS) return undefined
      return {node, after: colon + 1}
    }
    if (!this.plainStart(line, p)) return undefined
    for (let e = p; e < line.end; e++) {
      const ch = src.charCodeAt(e)
      if (ch === HASH && src.charCodeAt(e - 1) === SPACE) return undefined
      if (ch === 58 /* : */ && (e + 1 === line.end || src.charCodeAt(e + 1) === SPACE)) {
        if (src.charCodeAt(e - 1) === SPACE || e - p > MAX_KEY_CHARS) return undefined
        return {node: this.plain(src.slice(p, e), p, true), after: e + 1}
      }
    }
    return undefined
  }

  /** A flow collection ([…] or {…}) opening at p, closing on the same line. */
  private flow(line: Line, p: number): YAMLMap | YAMLSeq {
    const {src} = this
    const isMap = src[p] === '{'
    const close = isMap ? '}' : ']'
    if (++this.depth > MAX_NESTING) unsupported()
    const coll = isMap ? new YAMLMap(this.res.schema) : new YAMLSeq(this.res.schema)
    coll.flow = true
    const start = p
    p++
    const skip = () => {
      while (p < line.end && src.charCodeAt(p) === SPACE) p++
    }
    skip()
    if (src[p] === close) {
      coll.range = [start, p + 1, p + 1]
      this.depth--
      return coll
    }
    for (;;) {
      if (p >= line.end) unsupported()
      if (isMap) {
        const key = this.flowItem(line, p, true)
        p = key.range![1]
        if (src[p] !== ':' || src.charCodeAt(p + 1) !== SPACE) unsupported()
        p += 2
        skip()
        if (p >= line.end || src[p] === ',' || src[p] === '}') unsupported()
        const value = this.flowItem(line, p, false)
        p = value.range![1]
        ;(coll as YAMLMap).items.push(new Pair(key, value))
      } else {
        const item = this.flowItem(line, p, false)
        p = item.range![1]
        ;(coll as YAMLSeq).items.push(item)
      }
      if (src[p] !== ',' && src[p] !== close) unsupported() // spaces before ',' or ']', a pair in a list, …
      if (src[p] === close) break
      p++
      skip()
      if (src[p] === close || src[p] === ',') unsupported() // a trailing or empty entry
    }
    coll.range = [start, p + 1, p + 1]
    this.depth--
    return coll
  }

  /** An entry of a flow collection at p: a nested flow collection, a quoted scalar or a plain one. */
  private flowItem(line: Line, p: number, atKey: boolean): YamlNode {
    const {src} = this
    const c = src[p]!
    if (c === '[' || c === '{') {
      if (atKey) unsupported()
      return this.flow(line, p)
    }
    if (c === '"' || c === "'") return this.quoted(line, p)
    if (!this.plainStart(line, p)) unsupported()
    let e = p
    while (e < line.end) {
      const ch = src[e]!
      if (FLOW_INDICATORS.has(ch) || ch === ' ' || (ch === ':' && (FLOW_INDICATORS.has(src[e + 1] ?? '') || src.charCodeAt(e + 1) === SPACE))) break
      e++
    }
    // A space inside a flow scalar ("[a b]") or before a ':' or ',' is valid YAML, but not in this subset.
    if (e === p || src[e] === ' ') unsupported()
    return this.plain(src.slice(p, e), p, atKey)
  }

  /** A plain scalar's node: resolved by the first of the schema's default tags whose test matches, as the library does. */
  private plain(text: string, p: number, atKey: boolean): Scalar {
    const {schema, str} = this.res
    const tag =
      (schema.tags.find((t) => !t.collection && (t.default === true || (atKey && t.default === 'key')) && t.test?.test(text)) as ScalarTag | undefined) ?? str
    const node = this.resolved(tag, text)
    node.type = Scalar.PLAIN
    if (tag.format) node.format = tag.format
    node.range = [p, p + text.length, p + text.length]
    return node
  }

  private resolved(tag: ScalarTag, text: string): Scalar {
    const res = tag.resolve(text, () => unsupported(), this.res.options)
    const node = res instanceof Scalar ? res : new Scalar(res)
    node.source = text
    return node
  }

  private quoted(line: Line, p: number): Scalar {
    return this.quotedOrNone(line, p) ?? unsupported()
  }

  /** A quoted scalar opening at p and closing on the same line; undefined when it does not, or uses a rare escape. */
  private quotedOrNone(line: Line, p: number): Scalar | undefined {
    const {src} = this
    const q = src[p]
    let value = ''
    let e = p + 1
    for (;;) {
      if (e >= line.end) return undefined
      const ch = src[e]!
      if (ch === q) {
        if (q === "'" && src[e + 1] === "'") {
          value += "'"
          e += 2
          continue
        }
        break
      }
      if (ch === '\\' && q === '"') {
        const escaped = ESCAPES[src[e + 1] ?? '']
        if (escaped !== undefined) {
          value += escaped
          e += 2
          continue
        }
        if (src[e + 1] === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(e + 2, e + 6))) {
          value += String.fromCharCode(parseInt(src.slice(e + 2, e + 6), 16))
          e += 6
          continue
        }
        return undefined
      }
      value += ch
      e++
    }
    const node = this.resolved(this.res.str, value)
    node.type = q === '"' ? Scalar.QUOTE_DOUBLE : Scalar.QUOTE_SINGLE
    node.range = [p, e + 1, e + 1]
    return node
  }
}

const ESCAPES: Record<string, string> = {'\\': '\\', '"': '"', '/': '/', n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '0': '\0'}
