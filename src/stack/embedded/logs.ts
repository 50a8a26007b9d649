/** The stack's log file: its last lines, and what is appended to it. */
import {closeSync, existsSync, openSync, readFileSync, readSync, statSync} from 'node:fs'

export function tailLines(path: string, count: number): string[] {
  if (count <= 0 || !existsSync(path)) return []
  const lines = readFileSync(path, 'utf8').split('\n')
  if (lines.at(-1) === '') lines.pop()
  return lines.slice(-count)
}

/** `dev logs -f`: prints what is appended until Ctrl-C (polling: fs.watch misses appends on some filesystems). */
export async function followLog(path: string, write: (chunk: string) => void, signal: AbortSignal): Promise<void> {
  let offset = existsSync(path) ? statSync(path).size : 0
  while (!signal.aborted) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    if (!existsSync(path)) continue
    const size = statSync(path).size
    // A new run truncates the log: start over from its beginning.
    if (size < offset) offset = 0
    if (size === offset) continue
    const fd = openSync(path, 'r')
    try {
      const buffer = Buffer.alloc(size - offset)
      readSync(fd, buffer, 0, buffer.length, offset)
      offset = size
      write(buffer.toString('utf8'))
    } finally {
      closeSync(fd)
    }
  }
}

/**
 * Lines of one service ("issuer", "admin", "proxy", "stack") and/or not older than sinceMs. Each line starts with
 * its ISO time and the service: "2026-12-01T10:00:00.000Z admin: …".
 */
export function filterLines(lines: string[], filter: {service?: string; sinceMs?: number}): string[] {
  return lines.filter((line) => {
    const space = line.indexOf(' ')
    if (filter.sinceMs !== undefined && !(Date.parse(line.slice(0, space)) >= filter.sinceMs)) return false
    return filter.service === undefined || line.startsWith(`${filter.service}: `, space + 1)
  })
}
