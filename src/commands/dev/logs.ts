import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {interruptSignal} from '../../cli/interrupt.js'
import {addressesEmbedded, embeddedFlag, stackFlag} from '../../cli/dev-flags.js'
import {parseDuration} from '../../config/duration.js'
import {checkStackName, DEFAULT_STACK} from '../../stack/docker/options.js'
import {filterLines, followLog, tailLines} from '../../stack/embedded/logs.js'
import {embeddedPaths} from '../../stack/embedded/state.js'

export default class DevLogs extends BaseCommand<typeof DevLogs> {
  static override summary = "Print the local stack's logs, lines prefixed by service"
  static override description = 'The Docker stack: each container (all, or SERVICE). The embedded stack (--embedded, or while it runs): its one log, whose services are issuer, admin, proxy and stack.'
  static override examples = ['<%= config.bin %> dev logs --tail 50', '<%= config.bin %> dev logs admin --since 5m', '<%= config.bin %> dev logs -f']
  static override enableJsonFlag = false
  static override args = {service: Args.string({description: 'Only this service'})}
  static override flags = {
    embedded: embeddedFlag,
    stack: stackFlag,
    follow: Flags.boolean({char: 'f', description: 'Keep printing new lines until Ctrl-C'}),
    tail: Flags.integer({description: 'Only the last N lines (of each service)', min: 0}),
    since: Flags.string({description: 'Only lines from the last DURATION (e.g. 5m, 1h)'}),
  }

  async run() {
    const f = this.flags
    const sinceMs = f.since === undefined ? undefined : Date.now() - parseDuration(f.since, '--since')
    // Following ends at Ctrl-C, which exits 130 as a shell reports for a process it interrupted (as consume does).
    const interrupted = interruptSignal()
    await this.print(sinceMs, interrupted)
    if (interrupted.aborted) process.exitCode = 130
  }

  private async print(sinceMs: number | undefined, signal: AbortSignal) {
    const f = this.flags
    if (addressesEmbedded(f)) return this.embedded(sinceMs, signal)
    const {dockerLogs} = await import('../../stack/docker/logs.js')
    await dockerLogs(
      {stack: checkStackName(f.stack ?? DEFAULT_STACK), ...(this.args.service ? {service: this.args.service} : {}), ...(f.tail !== undefined ? {tail: f.tail} : {}), ...(sinceMs !== undefined ? {since: Math.floor(sinceMs / 1000)} : {}), follow: f.follow, signal},
      (line) => process.stdout.write(`${line}\n`),
    )
  }

  private async embedded(sinceMs: number | undefined, signal: AbortSignal) {
    const {log} = embeddedPaths()
    const filter = {...(this.args.service ? {service: this.args.service} : {}), ...(sinceMs !== undefined ? {sinceMs} : {})}
    const lines = filterLines(tailLines(log, Number.POSITIVE_INFINITY), filter).slice(-(this.flags.tail ?? Number.POSITIVE_INFINITY))
    if (this.flags.tail === 0) lines.length = 0
    if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`)
    else if (!this.flags.follow) this.note(`No log lines${this.args.service || sinceMs ? ' match' : ' yet'} (${log}). Start the stack with: prismctl dev up --embedded`)
    if (this.flags.follow) {
      await followLog(log, (chunk) => {
        const fresh = filterLines(chunk.split('\n').filter(Boolean), filter)
        if (fresh.length > 0) process.stdout.write(`${fresh.join('\n')}\n`)
      }, signal)
    }
  }
}
