/**
 * kubectl's label selector syntax (`env=dev,tier in (gold,silver),!legacy`), parsed by the CLI into requirements
 * that travel in list requests, and checked again by the control plane, which evaluates them.
 */
import {usageError} from '../errors.js'
import {LabelOperator, type LabelRequirement} from '../gen/prism/admin/v1/control_plane_pb.js'
import type {Violation} from './validate.js'

export type Requirement = Pick<LabelRequirement, 'key' | 'operator' | 'values'>

export const SELECTOR_SYNTAX = [
  'key=value, key==value   the label is there with this value',
  'key!=value              the label is not there, or has another value',
  'key in (v1,v2)          the label has one of these values',
  'key notin (v1,v2)       the label is not there, or has none of these values',
  'key                     the label is there',
  '!key                    the label is not there',
]

export const SELECTOR_LIMITS = {maxRequirements: 16, maxValues: 16, maxValueChars: 256} as const

// kubectl's qualified name: an optional DNS subdomain prefix and a slash, then a name of at most 63 characters.
const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/** Why `key` is not a label key as kubectl accepts it, or undefined when it is one. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/')
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined
  const name = key.slice(slash + 1)
  if (prefix !== undefined && (prefix.length > 253 || !PREFIX.test(prefix))) return `"${key.slice(0, 80)}" has an invalid prefix: it must be a DNS subdomain (lowercase letters, digits, '-' and '.')`
  if (name.length > 63 || !NAME.test(name))
    return `"${key.slice(0, 80)}" is not a valid label key: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (optionally prefixed, e.g. example.com/tier)`
  return undefined
}

// The lexer's special characters are kubectl's; everything else up to whitespace is one word.
type Token = {kind: 'word'; text: string} | {kind: '!' | '=' | '==' | '!=' | '(' | ')' | ','} | {kind: 'end'}

function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (/\s/.test(c)) i++
    else if (c === '=' || c === '!') {
      const two = text[i + 1] === '='
      tokens.push({kind: two ? (c === '=' ? '==' : '!=') : c})
      i += two ? 2 : 1
    } else if (c === '(' || c === ')' || c === ',') tokens.push({kind: c}), i++
    else if (c === '<' || c === '>') throw problem(`"${c}" is not an operator prismctl supports`)
    else {
      const start = i
      while (i < text.length && !/[\s=!(),<>]/.test(text[i]!)) i++
      tokens.push({kind: 'word', text: text.slice(start, i)})
    }
  }
  tokens.push({kind: 'end'})
  return tokens
}

class SelectorProblem extends Error {}
const problem = (message: string) => new SelectorProblem(message)

/** Parses a selector; a usage error showing the syntax when it is not one. */
export function parseSelector(text: string): Requirement[] {
  try {
    const requirements = new Parser(tokenize(text)).selector()
    const violation = selectorViolations(requirements)[0]
    if (violation) throw problem(violation.message)
    return requirements
  } catch (err) {
    if (!(err instanceof SelectorProblem)) throw err
    throw usageError(`invalid label selector "${text}": ${err.message}`, `Requirements are separated by commas and all must hold; quote them for the shell, e.g. -l 'env in (dev,qa),!legacy'.`, SELECTOR_SYNTAX)
  }
}

class Parser {
  private at = 0
  constructor(private readonly tokens: Token[]) {}

  selector(): Requirement[] {
    const out: Requirement[] = []
    // An empty selector selects everything, as kubectl's does.
    if (this.peek().kind === 'end') return out
    for (;;) {
      out.push(this.requirement())
      const next = this.next()
      if (next.kind === 'end') return out
      if (next.kind !== ',') throw problem(`expected "," between requirements, found ${describe(next)}`)
    }
  }

  private requirement(): Requirement {
    if (this.peek().kind === '!') {
      this.next()
      return {key: this.key(), operator: LabelOperator.DOES_NOT_EXIST, values: []}
    }
    const key = this.key()
    const op = this.peek()
    if (op.kind === ',' || op.kind === 'end') return {key, operator: LabelOperator.EXISTS, values: []}
    this.next()
    if (op.kind === '=' || op.kind === '==' || op.kind === '!=') {
      // An empty value is a value (`env=` selects env set to ""), as in kubectl.
      const value = this.peek().kind === 'word' ? this.word() : ''
      return {key, operator: op.kind === '!=' ? LabelOperator.NOT_IN : LabelOperator.IN, values: [value]}
    }
    if (op.kind === 'word' && (op.text === 'in' || op.text === 'notin')) {
      return {key, operator: op.text === 'in' ? LabelOperator.IN : LabelOperator.NOT_IN, values: this.set(op.text)}
    }
    throw problem(`expected =, ==, !=, in or notin after "${key}", found ${describe(op)}`)
  }

  private set(operator: string): string[] {
    if (this.next().kind !== '(') throw problem(`expected "(" after ${operator}`)
    const values: string[] = []
    for (;;) {
      const t = this.next()
      if (t.kind !== 'word') throw problem(`expected a value in the ${operator} (…) list, found ${describe(t)}`)
      values.push(t.text)
      const sep = this.next()
      if (sep.kind === ')') return values
      if (sep.kind !== ',') throw problem(`expected "," or ")" in the ${operator} (…) list, found ${describe(sep)}`)
    }
  }

  private key(): string {
    const t = this.next()
    if (t.kind !== 'word') throw problem(`expected a label key, found ${describe(t)}`)
    return t.text
  }

  private word(): string {
    return (this.next() as {text: string}).text
  }

  private peek(): Token {
    return this.tokens[this.at]!
  }

  private next(): Token {
    const t = this.tokens[this.at]!
    if (t.kind !== 'end') this.at++
    return t
  }
}

const describe = (t: Token) => (t.kind === 'end' ? 'the end' : t.kind === 'word' ? `"${t.text}"` : `"${t.kind}"`)

/** What the control plane refuses in a selector (the CLI checks the same before sending). */
export function selectorViolations(requirements: readonly Requirement[], path = 'label_selector'): Violation[] {
  if (requirements.length > SELECTOR_LIMITS.maxRequirements)
    return [{path, message: `at most ${SELECTOR_LIMITS.maxRequirements} requirements are allowed, got ${requirements.length}`}]
  const out: Violation[] = []
  requirements.forEach((r, i) => {
    const at = `${path}[${i}]`
    const keyProblem = labelKeyProblem(r.key)
    if (keyProblem) out.push({path: `${at}.key`, message: keyProblem})
    const wantsValues = r.operator === LabelOperator.IN || r.operator === LabelOperator.NOT_IN
    if (r.operator !== LabelOperator.EXISTS && r.operator !== LabelOperator.DOES_NOT_EXIST && !wantsValues) out.push({path: `${at}.operator`, message: 'an operator is required'})
    else if (wantsValues && (r.values.length === 0 || r.values.length > SELECTOR_LIMITS.maxValues))
      out.push({path: `${at}.values`, message: `in and notin take 1 to ${SELECTOR_LIMITS.maxValues} values, got ${r.values.length}`})
    else if (!wantsValues && r.values.length) out.push({path: `${at}.values`, message: `"${r.key}" and "!${r.key}" take no values`})
    const long = r.values.find((v) => v.length > SELECTOR_LIMITS.maxValueChars)
    if (long !== undefined) out.push({path: `${at}.values`, message: `values must be at most ${SELECTOR_LIMITS.maxValueChars} characters, got ${long.length}`})
  })
  return out
}
