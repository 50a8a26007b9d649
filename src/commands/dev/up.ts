import {join} from 'node:path'

import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {embeddedFlag, requireEmbedded} from '../../cli/dev-flags.js'
import {parseDuration} from '../../config/duration.js'
import {embeddedUp} from '../../stack/embedded/lifecycle.js'
import {DEFAULT_PORTS} from '../../stack/embedded/state.js'
import {renderEndScreen} from '../../stack/render.js'

const port = (description: string) => Flags.integer({description, min: 1, max: 65535})

export default class DevUp extends BaseCommand<typeof DevUp> {
  static override summary = 'Start a local Prism (issuer, control plane, proxy), wait until healthy, and log in'
  static override description = `--embedded: one background process of prismctl, no Docker: the development issuer (Dex-compatible, test users for each role) on :${DEFAULT_PORTS.issuer}, the control plane on SQLite on :${DEFAULT_PORTS.admin}, the proxy with the memstore-dev backend on :${DEFAULT_PORTS.proxy} (metrics :${DEFAULT_PORTS.metrics}). Then the "dev" context is written and made current, and you are logged in as admin@local.prism. Running it again while the stack runs changes nothing.`
  static override examples = ['<%= config.bin %> dev up --embedded', '<%= config.bin %> dev up --embedded --port-offset 100 --no-login']
  static override flags = {
    embedded: embeddedFlag,
    timeout: Flags.string({description: 'How long to wait for every service to answer', default: '60s'}),
    'port-offset': Flags.integer({description: 'Added to every default port (e.g. 100: issuer on 5656)', default: 0, min: 0, max: 10_000}),
    'issuer-port': port(`Issuer port (default ${DEFAULT_PORTS.issuer})`),
    'admin-port': port(`Control plane port (default ${DEFAULT_PORTS.admin})`),
    'proxy-port': port(`Proxy port (default ${DEFAULT_PORTS.proxy})`),
    'metrics-port': port(`Proxy metrics port (default ${DEFAULT_PORTS.metrics})`),
    'no-context': Flags.boolean({description: 'Do not write the "dev" context nor make it current'}),
    'no-login': Flags.boolean({description: 'Do not log in as the admin test user'}),
  }

  async run() {
    const f = this.flags
    requireEmbedded(f.embedded, 'dev up')
    const offset = f['port-offset']
    const result = await embeddedUp({
      ports: {
        issuer: f['issuer-port'] ?? DEFAULT_PORTS.issuer + offset,
        admin: f['admin-port'] ?? DEFAULT_PORTS.admin + offset,
        proxy: f['proxy-port'] ?? DEFAULT_PORTS.proxy + offset,
        metrics: f['metrics-port'] ?? DEFAULT_PORTS.metrics + offset,
      },
      timeoutMs: parseDuration(f.timeout, '--timeout'),
      context: !f['no-context'],
      login: !f['no-login'],
      cliEntry: join(this.config.root, 'bin/run.js'),
      progress: (line) => this.note(line),
    })
    this.out(renderEndScreen(result, {context: !f['no-context']}))
    return result
  }
}
