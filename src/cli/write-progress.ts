/**
 * What the write commands (apply, create, register, update) share on the command side: each outcome printed as
 * soon as it is known, and Ctrl-C stopping the run between documents (registry/write.ts says how).
 */
import {outcomePrinter, type DryRun, type WriteProgress} from '../registry/write.js'

/**
 * The first SIGINT aborts the returned signal (the document in flight still finishes, so that what was written is
 * known); a second one quits at once, for a server that does not answer.
 */
export function interruptSignal(onFirst: () => void): AbortSignal {
  const controller = new AbortController()
  process.on('SIGINT', () => {
    // 130 = 128 + SIGINT, what a shell reports for a process killed by Ctrl-C.
    if (controller.signal.aborted) process.exit(130)
    controller.abort()
    onFirst()
  })
  return controller.signal
}

export function writeProgress(dryRun: DryRun, out: (line: string) => void, note: (line: string) => void): WriteProgress {
  return {
    onOutcome: outcomePrinter(dryRun, out, note),
    interruptible: () => interruptSignal(() => note('Interrupted: stopping after the document in flight (Ctrl-C again to quit at once).')),
  }
}
