/** A mailbox pattern's settings as the proxy uses them (the registry declares them; validation checked their form). */
import {parseDuration} from '../../config/duration.js'
import {topicProblem} from '../../model/topics.js'
import type {RoutedPattern} from '../routing.js'

export const DEFAULT_RETENTION = '7d'

export interface MailboxSettings {
  topics: string[]
  retentionMs: number
}

export function mailboxSettings(pattern: RoutedPattern): MailboxSettings {
  // The control plane refuses what is not a topic name; one applied before that rule existed is not subscribed to.
  const topics = [...new Set((pattern.settings.topics ?? '').split(',').map((t) => t.trim()))].filter((t) => t !== '' && topicProblem(t) === undefined)
  let retentionMs: number
  try {
    retentionMs = parseDuration(pattern.settings.retention || DEFAULT_RETENTION, 'settings.retention')
  } catch {
    // The control plane refuses such a value; one applied before that rule existed keeps the default.
    retentionMs = parseDuration(DEFAULT_RETENTION, 'settings.retention')
  }
  return {topics, retentionMs}
}
