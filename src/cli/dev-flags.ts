/** Flags the dev commands share, and which stack a command addresses. */
import {existsSync} from 'node:fs'

import {Flags} from '@oclif/core'

import {embeddedPaths} from '../stack/embedded/state.js'

export const embeddedFlag = Flags.boolean({description: 'The embedded stack: one background process, no Docker'})
export const stackFlag = Flags.string({description: 'Name of the Docker stack (a second one runs beside the first with another name and --port-offset)', default: 'dev'})

/** --embedded, or the embedded stack left its pid file (it runs, or it crashed and status should say so). */
export function addressesEmbedded(embedded: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(embedded) || existsSync(embeddedPaths(env).pid)
}
