import {BaseCommand} from '../../cli/base-command.js'
import {proxyConnectionOf, proxyFlags} from '../../cli/data-flags.js'
import {proxyStatus, renderProxyStatus} from '../../data/proxy-status.js'

export default class ProxyStatus extends BaseCommand<typeof ProxyStatus> {
  static override summary = "Show the proxy's health, its control-plane sync state, the namespaces it serves and its backends"
  static override aliases = ['health']
  static override examples = ['<%= config.bin %> proxy status', '<%= config.bin %> proxy status --proxy-endpoint 127.0.0.1:50090 --json']
  static override flags = {...proxyFlags}

  async run() {
    const status = await proxyStatus(proxyConnectionOf(this.flags))
    this.out(renderProxyStatus(status))
    if (!status.serving) process.exitCode = 1
    return status
  }
}
