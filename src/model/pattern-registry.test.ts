import {describe, expect, it} from 'vitest'

import {BackendType} from '../gen/prism/admin/v1/resources_pb.js'
import {DEFAULT_INTERFACES, findPattern, KNOWN_INTERFACES, PATTERNS, slotFits, slotMisses, slotNeeds} from './pattern-registry.js'

const mailboxSlot = (name: string) => findPattern('mailbox')!.versions[0]!.slots.find((s) => s.name === name)!

describe('pattern registry', () => {
  it('names only known interfaces, in every slot and every default', () => {
    const named = [...PATTERNS.flatMap((p) => p.versions.flatMap((v) => v.slots.flatMap((s) => [...s.interfaces, ...(s.anyOf ?? [])]))), ...Object.values(DEFAULT_INTERFACES).flat()]
    expect(named.filter((x) => !KNOWN_INTERFACES.includes(x))).toEqual([])
  })

  it('a mailbox takes its messages from pub/sub or a queue', () => {
    const source = mailboxSlot('message-source')
    const fitting = Object.entries(DEFAULT_INTERFACES).filter(([, ifs]) => slotFits(source, ifs)).map(([t]) => BackendType[Number(t)])
    expect(fitting).toEqual(['REDIS', 'NATS', 'KAFKA', 'POSTGRES', 'MEMSTORE'])
    expect(slotMisses(source, ['keyvalue_basic'])).toEqual(['one of pubsub_basic or queue_basic'])
  })

  it('a mailbox stores into PostgreSQL, SQLite or memstore: backends that write and read tables', () => {
    const store = mailboxSlot('mailbox-store')
    const fitting = Object.entries(DEFAULT_INTERFACES).filter(([, ifs]) => slotFits(store, ifs)).map(([t]) => BackendType[Number(t)])
    expect(fitting).toEqual(['POSTGRES', 'SQLITE', 'MEMSTORE'])
    expect(slotMisses(store, ['table_writer'])).toEqual(['table_reader'])
    expect(slotNeeds(store)).toBe('table_writer, table_reader')
  })
})
