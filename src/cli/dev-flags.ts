/** Flags the dev commands share: which stack (only --embedded exists so far). */
import {Flags} from '@oclif/core'

import {usageError} from '../errors.js'

export const embeddedFlag = Flags.boolean({description: 'The embedded stack: one background process, no Docker'})

/** The Docker stack is not built yet: say so instead of pretending. */
export function requireEmbedded(embedded: boolean | undefined, command: string): void {
  if (!embedded) throw usageError(`the Docker dev stack is not available yet: use prismctl ${command} --embedded`, 'The embedded stack runs the issuer, the control plane and the proxy in one process, without Docker.')
}
