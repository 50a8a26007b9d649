/**
 * What the write commands (apply, create, register, update) share on the command side: each outcome printed as
 * soon as it is known, and Ctrl-C stopping the run between documents (registry/write.ts says how).
 */
import {outcomePrinter, type DryRun, type WriteProgress} from '../registry/write.js'
import {interruptSignal} from './interrupt.js'

export function writeProgress(dryRun: DryRun, out: (line: string) => void, note: (line: string) => void): WriteProgress {
  return {
    onOutcome: outcomePrinter(dryRun, out, note),
    interruptible: () => interruptSignal(() => note('Interrupted: stopping after the document in flight (Ctrl-C again to quit at once).')),
  }
}
