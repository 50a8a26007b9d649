/** What `validate` does, shared by the oclif command (validate-command.ts) and the path without oclif (fast-validate.ts). */
import {usageError} from '../errors.js'
import type {Kind} from '../model/documents.js'
import {checkFiles, type CheckReport} from '../model/offline.js'

export interface Validation {
  /** The command as typed, for the usage hint: "validate", "namespace validate". */
  command: string
  bin: string
  /** Documents of any other kind are errors; undefined accepts both. */
  kind: Kind | undefined
  paths: string[]
  recursive: boolean
}

export async function runValidation(v: Validation): Promise<CheckReport> {
  if (v.paths.length === 0) throw usageError('Missing what to validate: give -f FILE, a directory, or - for stdin', `See: ${v.bin} ${v.command} --help`)
  return checkFiles(v.paths, {kind: v.kind, recursive: v.recursive})
}
