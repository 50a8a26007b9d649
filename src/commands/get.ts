import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {withResult} from '../errors.js'
import {connectionFlags, connectionOf, outputFlag, recursiveFlag, requiredFileFlag} from '../cli/registry-flags.js'
import {getFiles, missingError} from '../registry/get-files.js'
import {mixedJson, renderMixed, type OutputFormat} from '../registry/output.js'

export default class Get extends BaseCommand<typeof Get> {
  static override summary = 'Show what the control plane stores for the Namespaces and Backends that files name'
  static override description = 'Only each document\'s kind and name matter. What does not exist is named after the rest and fails the command (exit 1) unless --ignore-not-found.'
  static override examples = ['<%= config.bin %> get -f stack/', '<%= config.bin %> get -f ns.yaml -o yaml']
  static override flags = {
    file: requiredFileFlag,
    recursive: recursiveFlag,
    output: outputFlag,
    'ignore-not-found': Flags.boolean({description: 'Say nothing about what does not exist'}),
    ...connectionFlags,
  }

  async run() {
    const format = this.outputFormat(this.flags.output as OutputFormat | undefined)
    const {named, found, missing} = await getFiles({files: this.flags.file, recursive: this.flags.recursive, connection: connectionOf(this.flags)})
    // The JSON's shape follows the files, not what exists: one object for one resource named, else a List.
    const single = named === 1
    if (found.length > 0 || (format === 'json' && !single)) this.out(renderMixed(found, format, {single}))
    const result = mixedJson(found, single)
    // Under --json the error carries what was found too.
    if (missing.length > 0 && !this.flags['ignore-not-found']) throw withResult(missingError(missing), result)
    return result
  }
}
