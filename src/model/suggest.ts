/** "Did you mean …" for near-miss names: field names, enum values, pattern types, interfaces. */

/** Levenshtein distance with one rolling row: O(a·b) time, O(b) memory. */
function editDistance(a: string, b: string): number {
  if (a === b) return 0
  if (!a.length) return b.length
  if (!b.length) return a.length
  const row = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = cur
    }
  }
  return row[b.length]!
}

// Compare ignoring case and separators, so "session_aware", "SessionAware" and "session-aware" all match.
const fold = (s: string) => s.toLowerCase().replace(/[-_]/g, '')

/** The closest candidate within 1 edit for short words, 2 up to 8 characters, 3 beyond; or undefined. */
function closest(word: string, candidates: Iterable<string>): string | undefined {
  // Bounded so that a pathological 1 MB key does not cost seconds.
  if (word.length > 100) return undefined
  const w = fold(word)
  const limit = word.length <= 3 ? 1 : word.length <= 8 ? 2 : 3
  let best: string | undefined
  let bestDistance = limit + 1
  for (const c of candidates) {
    const d = editDistance(w, fold(c))
    if (d < bestDistance) {
      best = c
      bestDistance = d
    }
  }
  return best
}

/** `; did you mean "x"?`, or an empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates)
  return c === undefined ? '' : `; did you mean "${c}"?`
}

/** A user value quoted for a message, shortened so a huge value cannot flood the terminal. */
export function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 61)}…` : value)
}
