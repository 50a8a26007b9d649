import {Flags} from '@oclif/core'

import {AUDIT_FORMATS, auditEventsJson, listAuditEvents, renderAuditEvents, type AuditFormat} from '../../audit/audit-log.js'
import {BaseCommand} from '../../cli/base-command.js'
import {connectionFlags, connectionOf} from '../../cli/registry-flags.js'

export default class AuditList extends BaseCommand<typeof AuditList> {
  static override summary = "List the control plane's audit log, newest first (admin role)"
  static override description =
    'Every write, and every failed write attempt, with principal, action, resource and outcome. Writes refused for lack of a role are aggregated per principal and minute (COUNT). Entries older than the server\'s --audit-retention are pruned.'
  static override examples = [
    '<%= config.bin %> audit list --since 1h',
    '<%= config.bin %> audit list --resource orders --principal alice@example.com -o yaml',
  ]
  static override flags = {
    resource: Flags.string({description: 'Only entries about the namespace or backend of this name'}),
    principal: Flags.string({description: 'Only entries of this principal (the email, else the subject, as the server names it)'}),
    since: Flags.string({description: 'Only entries of the last DURATION, e.g. 30m, 1h, 7d'}),
    limit: Flags.integer({min: 1, default: 100, description: 'Show at most this many'}),
    output: Flags.string({char: 'o', options: [...AUDIT_FORMATS], description: 'Output format (default: table); -o json prints what --json prints'}),
    ...connectionFlags,
  }

  async run() {
    const f = this.flags
    const format = this.outputFormat(f.output as AuditFormat | undefined)
    const events = await listAuditEvents({resource: f.resource, principal: f.principal, since: f.since, limit: f.limit}, connectionOf(f))
    if (events.length === 0 && format === 'table') this.note('No audit entries found.')
    else this.out(renderAuditEvents(events, format))
    return auditEventsJson(events)
  }
}
