import {describe, expect, it} from 'vitest'

import {messageRetentionMs, retentionMs} from './retention.js'
import type {Route, RoutedPattern} from './routing.js'

const DATA_SLOT: Record<string, string> = {producer: 'message-sink', consumer: 'message-source', pubsub: 'message-bus', queue: 'message-queue'}

const pattern = (name: string, type: string, backend: string, retention?: string): RoutedPattern => ({
  name,
  type,
  sessionAware: false,
  settings: retention ? {retention} : {},
  // Each type's data slot, as the registry names it.
  slots: {[DATA_SLOT[type] ?? 'message-source']: backend},
  vaultPaths: {},
})

describe('retention', () => {
  it("a namespace's messaging patterns on one backend share its topics there: the longest retention any sets holds", () => {
    const route: Route = {
      namespace: 'orders',
      patterns: [pattern('out', 'producer', 'nats-a'), pattern('in', 'consumer', 'nats-a', '30d'), pattern('jobs', 'queue', 'nats-a', '12h'), pattern('other', 'pubsub', 'nats-b', '1h')],
    }
    expect(messageRetentionMs(route, 'nats-a')).toBe(30 * 86_400_000)
    expect(messageRetentionMs(route, 'nats-b')).toBe(3_600_000)
    // None set: the backend keeps messages as it does by itself.
    expect(messageRetentionMs({namespace: 'x', patterns: [pattern('out', 'producer', 'nats-a')]}, 'nats-a')).toBeUndefined()
    // A mailbox's retention is its own store's, not its source's.
    expect(messageRetentionMs({namespace: 'x', patterns: [pattern('box', 'mailbox', 'nats-a', '1d')]}, 'nats-a')).toBeUndefined()
  })

  it('holds a value stored before the bounds existed to them; a mailbox has 7 days by default', () => {
    expect(messageRetentionMs({namespace: 'x', patterns: [pattern('out', 'producer', 'n', '10ms')]}, 'n')).toBe(1_000)
    expect(messageRetentionMs({namespace: 'x', patterns: [pattern('out', 'producer', 'n', '99999d')]}, 'n')).toBe(3650 * 86_400_000)
    expect(messageRetentionMs({namespace: 'x', patterns: [pattern('out', 'producer', 'n', 'soon')]}, 'n')).toBeUndefined()
    expect(retentionMs(pattern('box', 'mailbox', 'pg'))).toBe(7 * 86_400_000)
  })
})
