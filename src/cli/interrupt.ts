/** Ctrl-C for commands that stop cleanly (write commands between documents, consume, dev logs -f). */

/**
 * The first SIGINT aborts the returned signal, so the command can finish what is in flight and say what was done; a
 * second one quits at once (exit 130, what a shell reports for a process Ctrl-C killed), for a call that never ends.
 */
export function interruptSignal(onFirst: () => void = () => {}): AbortSignal {
  const controller = new AbortController()
  process.on('SIGINT', () => {
    if (controller.signal.aborted) process.exit(130)
    controller.abort()
    onFirst()
  })
  return controller.signal
}
