/**
 * Flags shared by the namespace, backend and apply commands, defined once so that every command spells and
 * documents them the same way.
 */
import {Flags} from '@oclif/core'

import {insecurePlaintextFlag} from './plaintext-flag.js'
import {OUTPUT_FORMATS} from '../registry/output.js'

export const connectionFlags = {
  'admin-endpoint': Flags.string({description: 'Control plane host:port (default: PRISM_ADMIN_ENDPOINT, then the context)'}),
  timeout: Flags.string({description: 'Deadline per call, e.g. 10s, 500ms, 2m', default: '10s'}),
  'insecure-plaintext': insecurePlaintextFlag,
}

const FILE_DESCRIPTION = 'YAML or JSON file, or a directory of *.yaml, *.yml and *.json files (with -R, its subdirectories too); repeatable; - reads stdin; also --filename'
// Defined beside ConnectionOptions, where the command lines answered without oclif (fast-get.ts) find it too.
export {connectionOf} from '../registry/connection.js'

// --filename is kubectl's spelling.
export const fileFlag = Flags.string({char: 'f', aliases: ['filename'], multiple: true, description: FILE_DESCRIPTION})
export const requiredFileFlag = Flags.string({char: 'f', aliases: ['filename'], multiple: true, required: true, description: FILE_DESCRIPTION})
export const recursiveFlag = Flags.boolean({char: 'R', description: 'Read the subdirectories of directories given with -f, at any depth'})

export const dryRunFlag = Flags.string({
  options: ['none', 'client', 'server'],
  default: 'none',
  description: 'client (also a bare --dry-run): check locally and write nothing; server: the control plane checks everything but stores nothing',
})

export const expectedVersionFlag = Flags.integer({
  min: 1,
  description: 'Write only if the stored version is still this one (compare-and-set); fails with a conflict otherwise',
})

export const limitFlag = Flags.integer({min: 1, description: 'Show at most this many'})

// No default: --json must be able to tell an explicit -o table (a conflict) from none.
export const outputFlag = Flags.string({char: 'o', options: [...OUTPUT_FORMATS], description: 'Output format (default: table); -o json prints what --json prints'})

export const yesFlag = Flags.boolean({char: 'y', description: 'Do not ask for confirmation (required without a terminal)'})

export const selectorFlag = Flags.string({
  char: 'l',
  multiple: true,
  description: "Label selector, kubectl's syntax: env=dev, env!=dev, 'env in (dev,qa)', 'env notin (qa)', env (has it), '!env' (has not); comma-separated or repeated, all must hold",
})
