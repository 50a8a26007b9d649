/** Flags the dev commands share, and which stack a command addresses. */
import {existsSync} from 'node:fs'

import {Flags} from '@oclif/core'

import {DEFAULT_STACK} from '../stack/docker/options.js'
import {embeddedPaths} from '../stack/embedded/state.js'

export const embeddedFlag = Flags.boolean({description: 'The embedded stack: one background process, no Docker'})
export const stackFlag = Flags.string({description: `Name of the Docker stack (a second one runs beside the first with another name and --port-offset) [default: ${DEFAULT_STACK}]`})

/**
 * --embedded; or, with neither flag, the embedded stack left its pid file (it runs, or it crashed and status should
 * say so). --stack always means the Docker stack.
 */
export function addressesEmbedded(flags: {embedded?: boolean; stack?: string}, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flags.embedded) return true
  return flags.stack === undefined && existsSync(embeddedPaths(env).pid)
}
