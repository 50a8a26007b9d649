/**
 * What keeps the audit log bounded whatever callers send.
 *
 * Refused writes (PERMISSION_DENIED: a caller without the role a write needs, e.g. any account the issuer knows but
 * the role map does not) are aggregated per principal and window: the first refusal writes an entry at once, the
 * ones after it in the same window only count, and the entry's count is brought up to date when the window closes,
 * before the log is read, and when the server stops. That is at most one entry per principal per window (per
 * replica); at most MAX_PRINCIPALS principals are tracked per window, the rest share one entry.
 *
 * Retention: entries older than the retention are pruned at start and then periodically.
 */
import type {AuditRecord, Store} from './store.js'

export const REFUSAL_WINDOW_MS = 60_000
const MAX_PRINCIPALS = 10_000
export const OTHER_PRINCIPALS = '(other principals)'

export const DEFAULT_AUDIT_RETENTION_MS = 90 * 86_400_000
const PRUNE_EVERY_MS = 3_600_000

interface Window {
  opened: number
  /** The entry's id once written (undefined if writing it failed). */
  id: Promise<number | undefined>
  count: number
  /** The count the entry holds in the store. */
  stored: number
}

export class RefusalAudit {
  private readonly windows = new Map<string, Window>()
  private readonly timer: NodeJS.Timeout

  constructor(
    private readonly store: Store,
    private readonly windowMs = REFUSAL_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.closeExpired(), windowMs).unref()
  }

  /** Records one refusal; resolves once its entry is written (the first of a window) or counted. */
  async record(audit: AuditRecord): Promise<void> {
    const at = this.now()
    let key = audit.principal
    let window = this.current(key, at)
    if (!window && this.windows.size >= MAX_PRINCIPALS) {
      key = OTHER_PRINCIPALS
      audit = {...audit, principal: OTHER_PRINCIPALS, message: `refused writes of principals beyond the first ${MAX_PRINCIPALS} in a minute; the first: ${audit.principal}: ${audit.message}`}
      window = this.current(key, at)
    }
    if (window) {
      window.count++
      return
    }
    const id = this.store.appendAudit({...audit, count: 1}).catch(() => undefined)
    this.windows.set(key, {opened: at, id, count: 1, stored: 1})
    await id
  }

  /** Every entry's count up to date in the store (before the log is read). */
  async flush(): Promise<void> {
    await Promise.all([...this.windows.values()].map((w) => this.writeCount(w)))
  }

  /** Writes the last counts and stops the timer. */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.flush()
    this.windows.clear()
  }

  /** The principal's open window, after closing an expired one. */
  private current(key: string, at: number): Window | undefined {
    const window = this.windows.get(key)
    if (window && at - window.opened < this.windowMs) return window
    if (window) {
      this.windows.delete(key)
      void this.writeCount(window).catch(() => {})
    }
    return undefined
  }

  private closeExpired(): void {
    const at = this.now()
    for (const key of [...this.windows.keys()]) this.current(key, at)
  }

  /** Brings the window's entry up to the count so far. */
  private async writeCount(window: Window): Promise<void> {
    const id = await window.id
    const count = window.count
    if (id === undefined || count === window.stored) return
    await this.store.setAuditCount(id, count)
    window.stored = Math.max(window.stored, count)
  }
}

/** Prunes at once, then every hour (or every `retentionMs` if shorter); `stop` ends it. */
export async function startAuditPruning(store: Store, retentionMs: number, log: (line: string) => void): Promise<{stop(): void}> {
  // A failed prune is logged, never fatal: the next one catches up.
  const prune = async () => {
    try {
      const pruned = await store.pruneAudit(new Date(Date.now() - retentionMs))
      if (pruned > 0) log(`audit log: pruned ${pruned} entr${pruned === 1 ? 'y' : 'ies'} older than the retention`)
    } catch (err) {
      log(`audit log: pruning failed: ${(err as Error).message}`)
    }
  }
  await prune()
  const timer = setInterval(() => void prune(), Math.min(PRUNE_EVERY_MS, retentionMs)).unref()
  return {stop: () => clearInterval(timer)}
}
