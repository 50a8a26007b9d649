/**
 * A small unified line diff (longest common subsequence), enough for comparing two YAML renderings of one
 * resource; not meant for large files (O(n·m) memory).
 */
export type DiffOp = {op: ' ' | '-' | '+'; line: string}

export function diffLines(before: string[], after: string[]): DiffOp[] {
  const n = before.length
  const m = after.length
  // lcs[i][j] = length of the LCS of before[i..] and after[j..]
  const lcs: number[][] = Array.from({length: n + 1}, () => new Array<number>(m + 1).fill(0))
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = before[i] === after[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!)
    }
  }
  const ops: DiffOp[] = []
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (before[i] === after[j]) {
      ops.push({op: ' ', line: before[i]!})
      i++
      j++
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) {
      ops.push({op: '-', line: before[i++]!})
    } else {
      ops.push({op: '+', line: after[j++]!})
    }
  }
  while (i < n) ops.push({op: '-', line: before[i++]!})
  while (j < m) ops.push({op: '+', line: after[j++]!})
  return ops
}

function splitLines(text: string): string[] {
  if (text === '') return []
  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  return lines
}

function range(start: number, count: number): string {
  // Unified diff convention: an empty range is shown as the line before it.
  if (count === 0) return `${start - 1},0`
  return count === 1 ? `${start}` : `${start},${count}`
}

/** Unchanged lines shown around each change, as diff -u does. */
const CONTEXT = 3

/**
 * `diff -u` style output with `---`/`+++` headers and @@ hunks; empty string when the texts are equal.
 * An empty `before` (a new object) shows everything as added.
 */
export function unifiedDiff(before: string, after: string, labels: {from: string; to: string}): string {
  const ops = diffLines(splitLines(before), splitLines(after))
  if (ops.every((o) => o.op === ' ')) return ''
  const out = [`--- ${labels.from}`, `+++ ${labels.to}`]
  // Positions (in ops) of changes, grouped into hunks whose context windows touch.
  const changed = ops.flatMap((o, k) => (o.op === ' ' ? [] : [k]))
  let k = 0
  while (k < changed.length) {
    let end = k
    while (end + 1 < changed.length && changed[end + 1]! - changed[end]! <= 2 * CONTEXT + 1) end++
    const from = Math.max(0, changed[k]! - CONTEXT)
    const to = Math.min(ops.length - 1, changed[end]! + CONTEXT)
    let oldStart = 1
    let newStart = 1
    for (let p = 0; p < from; p++) {
      if (ops[p]!.op !== '+') oldStart++
      if (ops[p]!.op !== '-') newStart++
    }
    const body = ops.slice(from, to + 1)
    const oldCount = body.filter((o) => o.op !== '+').length
    const newCount = body.filter((o) => o.op !== '-').length
    out.push(`@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@`)
    for (const o of body) out.push(`${o.op}${o.line}`)
    k = end + 1
  }
  return `${out.join('\n')}\n`
}
