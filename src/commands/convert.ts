import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {usageError} from '../errors.js'
import {KINDS} from '../model/documents.js'
import type {Kind} from '../model/documents.js'
import {convertFile, inputFormat, writeOutput} from '../model/offline.js'
import type {Format} from '../model/offline.js'
import {count} from '../ui/count.js'

const FORMATS = ['yaml', 'json', 'binpb'] as const

export default class Convert extends BaseCommand<typeof Convert> {
  static override summary = 'Convert resources between YAML, proto3 JSON and binary protobuf, losslessly'
  static override examples = [
    '<%= config.bin %> convert -f ns.yaml --to binpb --out ns.binpb',
    '<%= config.bin %> convert -f ns.binpb --kind Namespace --to yaml',
    '<%= config.bin %> convert -f resources.yaml --to json',
  ]
  static override flags = {
    file: Flags.string({char: 'f', required: true, description: 'Input file; - reads stdin'}),
    to: Flags.string({options: [...FORMATS], required: true, description: 'Output format'}),
    from: Flags.string({options: [...FORMATS], description: 'Input format (default: binpb for *.binpb and *.pb, else yaml, which reads JSON too)'}),
    kind: Flags.string({options: [...KINDS], description: 'What a binpb input holds (required with binary input)'}),
    out: Flags.string({description: 'Write to this file (atomically) instead of stdout'}),
  }

  async run() {
    const {file, out} = this.flags
    const to = this.flags.to as Format
    // Raw protobuf bytes would garble the terminal.
    if (to === 'binpb' && !out && process.stdout.isTTY && !this.jsonEnabled()) throw usageError('binary output is not written to a terminal', 'Add --out FILE, or redirect stdout to a file.')
    const from = inputFormat(file, this.flags.from as Format | undefined)
    const result = await convertFile({file, to, from, kind: this.flags.kind as Kind | undefined})
    const summary = {from, to, documents: result.documents}
    if (out) {
      writeOutput(out, result.data, result.holdsSecrets)
      this.note(`wrote ${count(result.documents.length, 'document')} to ${out}`)
      return {...summary, out}
    }
    if (!this.jsonEnabled()) {
      process.stdout.write(result.data)
      return summary
    }
    // The --json envelope carries the output itself: JSON as an object, binary as base64.
    const output = typeof result.data === 'string' ? (to === 'json' ? JSON.parse(result.data) : result.data) : Buffer.from(result.data).toString('base64')
    return {...summary, output}
  }
}
