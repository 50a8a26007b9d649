/**
 * Flags shared by the namespace, backend and apply commands, defined once so that every command spells and
 * documents them the same way.
 */
import {Flags} from '@oclif/core'

import type {ConnectionOptions} from '../registry/connection.js'
import {OUTPUT_FORMATS} from '../registry/output.js'

export const connectionFlags = {
  'admin-endpoint': Flags.string({description: 'Control plane host:port (default: PRISM_ADMIN_ENDPOINT, then the context)'}),
  timeout: Flags.string({description: 'Deadline per call, e.g. 10s, 500ms, 2m', default: '10s'}),
}

const FILE_DESCRIPTION = 'YAML file or directory of *.yaml files; repeatable; - reads stdin'
/** The parsed connection flags (plus the global --context) as the registry functions take them. */
export function connectionOf(flags: {context?: string; 'admin-endpoint'?: string; timeout?: string}): ConnectionOptions {
  return {context: flags.context, adminEndpoint: flags['admin-endpoint'], timeout: flags.timeout}
}

export const fileFlag = Flags.string({char: 'f', multiple: true, description: FILE_DESCRIPTION})
export const requiredFileFlag = Flags.string({char: 'f', multiple: true, required: true, description: FILE_DESCRIPTION})

export const dryRunFlag = Flags.string({
  options: ['none', 'client', 'server'],
  default: 'none',
  description: 'client: validate locally and send nothing; server: the control plane checks everything but stores nothing',
})

export const expectedVersionFlag = Flags.integer({
  min: 1,
  description: 'Write only if the stored version is still this one (compare-and-set); fails with a conflict otherwise',
})

export const limitFlag = Flags.integer({min: 1, description: 'Show at most this many'})

export const outputFlag = Flags.string({char: 'o', options: [...OUTPUT_FORMATS], default: 'table', description: 'Output format'})

export const yesFlag = Flags.boolean({char: 'y', description: 'Do not ask for confirmation (required without a terminal)'})
