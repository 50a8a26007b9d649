import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {addressesEmbedded, embeddedFlag, stackFlag} from '../../cli/dev-flags.js'
import {checkStackName, DEFAULT_STACK} from '../../stack/docker/options.js'
import {count} from '../../ui/count.js'

export default class DevDown extends BaseCommand<typeof DevDown> {
  static override summary = 'Stop the local stack and remove its containers and network; its data stays unless --volumes'
  static override description = 'The Docker stack is found by its labels alone, so this works after a crash too. The embedded stack (--embedded, or while it runs) keeps its SQLite store for the next dev up.'
  static override examples = ['<%= config.bin %> dev down', '<%= config.bin %> dev down --volumes', '<%= config.bin %> dev down --embedded']
  static override flags = {
    embedded: embeddedFlag,
    stack: stackFlag,
    volumes: Flags.boolean({description: 'Also remove the data volumes (PostgreSQL, NATS, Kafka) of the Docker stack'}),
  }

  async run() {
    if (addressesEmbedded(this.flags)) return this.embedded()
    const {dockerDown} = await import('../../stack/docker/down.js')
    const result = await dockerDown({stack: checkStackName(this.flags.stack ?? DEFAULT_STACK), volumes: this.flags.volumes})
    if (result.containers === 0 && result.networks === 0 && result.volumes === 0) this.out(`The Docker dev stack "${result.name}" has nothing running.${result.keptVolumes.length > 0 ? ` Its volumes remain: ${result.keptVolumes.join(', ')} (dev down --volumes removes them).` : ''}`)
    else {
      const kept = result.keptVolumes.length > 0 ? `; kept the volumes ${result.keptVolumes.join(', ')} (dev down --volumes removes them)` : ''
      this.out(`Removed the Docker dev stack "${result.name}": ${count(result.containers, 'container')}, ${count(result.networks, 'network')}, ${count(result.volumes, 'volume')}${kept}.`)
    }
    return result
  }

  private async embedded() {
    const {embeddedDown} = await import('../../stack/embedded/lifecycle.js')
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
