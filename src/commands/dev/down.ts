import {BaseCommand} from '../../cli/base-command.js'
import {embeddedFlag} from '../../cli/dev-flags.js'
import {embeddedDown} from '../../stack/embedded/lifecycle.js'

export default class DevDown extends BaseCommand<typeof DevDown> {
  static override summary = 'Stop the local stack (its data, the SQLite store, stays for the next dev up)'
  static override examples = ['<%= config.bin %> dev down']
  static override flags = {embedded: embeddedFlag}

  async run() {
    const result = await embeddedDown()
    const messages = {
      stopped: `Stopped the embedded dev stack (pid ${result.pid}).`,
      killed: `The embedded dev stack (pid ${result.pid}) did not stop within 15 s and was killed.`,
      stale: `The embedded dev stack was not running; removed its stale pid file (pid ${result.pid}).`,
      none: 'The embedded dev stack is not running.',
    }
    this.out(messages[result.outcome])
    return result
  }
}
