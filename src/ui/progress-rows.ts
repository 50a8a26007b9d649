/**
 * Progress of several things at once: on a terminal one row per item, redrawn in place as it changes (what
 * `docker compose up` shows); anywhere else (CI, a pipe, NO_COLOR terminals alike) plain lines, one per change.
 */
export interface ProgressRows {
  /** The row of `item` now says `text` (or a line of its own where rows are not drawn). */
  update(item: string, text: string): void
  /** A line above the rows, for what belongs to no item. */
  line(text: string): void
  /** Leaves the rows as they stand. */
  done(): void
}

export function progressRows(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): ProgressRows {
  const live = Boolean(stream.isTTY) && !env.CI && env.TERM !== 'dumb'
  if (!live) {
    return {update: (item, text) => stream.write(`${item}: ${text}\n`), line: (text) => stream.write(`${text}\n`), done: () => {}}
  }
  const rows = new Map<string, string>()
  let drawn = 0
  const width = () => Math.max(...[...rows.keys()].map((k) => k.length))
  const redraw = (above?: string) => {
    // Cursor up over the rows drawn last time, clear to the end of the screen, then draw again.
    let out = drawn > 0 ? `\x1b[${drawn}A\x1b[J` : ''
    if (above !== undefined) out += `${above}\n`
    const cols = stream.columns || 100
    for (const [item, text] of rows) out += `${`${item.padEnd(width())}  ${text}`.slice(0, cols - 1)}\n`
    drawn = rows.size
    stream.write(out)
  }
  return {
    update: (item, text) => {
      // One line per row, or the cursor-up count would be wrong: the last line of a multi-line text.
      rows.set(item, text.trimEnd().split('\n').at(-1) ?? '')
      redraw()
    },
    line: (text) => redraw(text),
    done: () => {
      drawn = 0
    },
  }
}
