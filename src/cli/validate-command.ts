/** `validate`, `namespace validate` and `backend validate`: the same offline check, optionally held to one kind. */
import type {Kind} from '../model/documents.js'
import {reportLines} from '../model/offline.js'
import {BaseCommand} from './base-command.js'
import {fileFlag, recursiveFlag} from './registry-flags.js'
import {runValidation} from './validation.js'

export abstract class ValidateCommand extends BaseCommand<typeof ValidateCommand> {
  static override description = 'Reports every problem at once as file:line:column: field: message, and exits 1 if there is any.'
  static override flags = {file: fileFlag, recursive: recursiveFlag}
  // Paths may also come as arguments (`prismctl validate config/ extra.yaml`), like -f.
  static override strict = false
  static override usage = '[FILE|DIR]... [-f FILE|DIR|-]...'

  /** Documents of any other kind are errors; undefined accepts both. */
  protected abstract readonly kind: Kind | undefined

  async run() {
    const paths = [...(this.flags.file ?? []), ...this.positionals]
    const report = await runValidation({command: this.id?.replaceAll(':', ' ') ?? 'validate', bin: this.config.bin, kind: this.kind, paths, recursive: this.flags.recursive})
    for (const line of reportLines(report)) this.out(line)
    return report
  }
}
