import {checkStackName, chosenServices, DEFAULT_STACK, imageOverrides} from '../../stack/docker/options.js'
import {wipeStack} from '../../stack/reset.js'
import DevUp from './up.js'

export default class DevReset extends DevUp {
  static override summary = "Wipe the local stack's data (containers and volumes, or the embedded SQLite store), then start it again as dev up does"
  static override description = 'Takes the flags of dev up. Everything registered, every key and message is gone afterwards; the default backends are registered again and you are logged in again.'
  static override examples = ['<%= config.bin %> dev reset', '<%= config.bin %> dev reset --embedded']

  override async run() {
    const f = this.flags
    // What dev up would refuse is refused before anything is wiped.
    if (!f.embedded) {
      chosenServices(f.services, f.without)
      imageOverrides(f.image)
    }
    this.note(await wipeStack({embedded: f.embedded, stack: checkStackName(f.stack ?? DEFAULT_STACK)}))
    return super.run()
  }
}
