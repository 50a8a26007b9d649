/**
 * `prismctl audit list`: the control plane's audit log (admin role), newest first, filtered on the server, and how
 * it is shown: a table for people, proto3 JSON (or the same as YAML) for scripts.
 */
import {toJson} from '@bufbuild/protobuf'
import {timestampDate, timestampFromDate} from '@bufbuild/protobuf/wkt'
import {stringify} from 'yaml'

import {parseDuration} from '../config/duration.js'
import {AuditEventSchema, type AuditEvent} from '../gen/prism/admin/v1/control_plane_pb.js'
import {withAdmin, type ConnectionOptions} from '../registry/connection.js'
import {renderTable} from '../ui/table.js'

export const AUDIT_FORMATS = ['table', 'json', 'yaml'] as const
export type AuditFormat = (typeof AUDIT_FORMATS)[number]

export interface AuditFilters {
  resource?: string
  principal?: string
  /** How far back, e.g. 1h, 30m, 7d. */
  since?: string
  /** Newest first, at most this many. */
  limit: number
}

const PAGE_SIZE = 500
/** A table cell shows this much of a message; -o json and yaml show all of it. */
const MESSAGE_WIDTH = 100

export async function listAuditEvents(filters: AuditFilters, connection: ConnectionOptions, now: Date = new Date()): Promise<AuditEvent[]> {
  const since = filters.since === undefined ? undefined : timestampFromDate(new Date(now.getTime() - parseDuration(filters.since, '--since')))
  return withAdmin(connection, async (admin) => {
    const events: AuditEvent[] = []
    let pageToken = ''
    do {
      const pageSize = Math.min(PAGE_SIZE, filters.limit - events.length)
      const page = await admin.call('listAuditEvents', {pageSize, pageToken, resourceName: filters.resource ?? '', principal: filters.principal ?? '', since})
      events.push(...page.events)
      pageToken = page.nextPageToken
    } while (pageToken && events.length < filters.limit)
    return events
  })
}

/** What --json and -o json print: {events: [...]} in proto3 JSON. */
export function auditEventsJson(events: AuditEvent[]): {events: unknown[]} {
  return {events: events.map((e) => toJson(AuditEventSchema, e))}
}

function shortMessage(message: string): string {
  const line = message.replace(/\s+/g, ' ')
  return line.length > MESSAGE_WIDTH ? `${line.slice(0, MESSAGE_WIDTH - 1)}…` : line
}

/** For stdout, without a trailing newline. */
export function renderAuditEvents(events: AuditEvent[], format: AuditFormat): string {
  if (format === 'json') return JSON.stringify(auditEventsJson(events), null, 2)
  if (format === 'yaml') return stringify(auditEventsJson(events)).trimEnd()
  const rows = events.map((e) => [
    e.time ? timestampDate(e.time).toISOString().replace(/\.\d{3}Z$/, 'Z') : '',
    e.principal,
    e.action,
    `${e.resourceKind}/${e.resourceName || '<none>'}`,
    e.outcome,
    String(e.count || 1),
    shortMessage(e.message),
  ])
  return renderTable(['TIME', 'PRINCIPAL', 'ACTION', 'RESOURCE', 'OUTCOME', 'COUNT', 'MESSAGE'], rows)
}
