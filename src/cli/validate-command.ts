/** `validate`, `namespace validate` and `backend validate`: the same offline check, optionally held to one kind. */
import type {Kind} from '../model/documents.js'
import {checkFiles, reportLines} from '../model/offline.js'
import {BaseCommand} from './base-command.js'
import {requiredFileFlag} from './registry-flags.js'

export abstract class ValidateCommand extends BaseCommand<typeof ValidateCommand> {
  static override description = 'Reports every problem at once as file:line:column: field: message, and exits 1 if there is any.'
  static override flags = {file: requiredFileFlag}

  /** Documents of any other kind are errors; undefined accepts both. */
  protected abstract readonly kind: Kind | undefined

  async run() {
    const report = await checkFiles(this.flags.file, {kind: this.kind})
    for (const line of reportLines(report)) this.out(line)
    return report
  }
}
