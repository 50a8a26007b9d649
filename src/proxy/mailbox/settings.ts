/** A mailbox pattern's settings as the proxy uses them (the registry declares them; validation checked their form). */
import {topicProblem} from '../../model/topics.js'
import {retentionMs} from '../retention.js'
import type {RoutedPattern} from '../routing.js'

export interface MailboxSettings {
  topics: string[]
  retentionMs: number
}

export function mailboxSettings(pattern: RoutedPattern): MailboxSettings {
  // The control plane refuses what is not a topic name; one applied before that rule existed is not subscribed to.
  const topics = [...new Set((pattern.settings.topics ?? '').split(',').map((t) => t.trim()))].filter((t) => t !== '' && topicProblem(t) === undefined)
  return {topics, retentionMs: retentionMs(pattern)}
}
