import {BaseCommand} from '../../cli/base-command.js'
import {runEmbeddedStack} from '../../stack/embedded/runner.js'

export default class DevRunEmbedded extends BaseCommand<typeof DevRunEmbedded> {
  static override summary = 'The embedded dev stack\'s process (started by dev up --embedded)'
  static override hidden = true
  static override enableJsonFlag = false

  async run() {
    await runEmbeddedStack({version: this.config.version, log: (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`)})
  }
}
