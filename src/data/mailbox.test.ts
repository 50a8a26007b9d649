import {create} from '@bufbuild/protobuf'
import {timestampFromDate} from '@bufbuild/protobuf/wkt'
import {describe, expect, it} from 'vitest'

import {MailboxEventSchema} from '../gen/prism/patterns/v1/mailbox_pb.js'
import {renderEvent, renderEventTable} from '../ui/mailbox-events.js'
import {parseTime, shownEvent} from './mailbox.js'

describe('parseTime', () => {
  it('reads RFC 3339, or a duration ago', () => {
    const now = Date.parse('2026-03-01T12:00:00Z')
    expect(parseTime('2026-01-01T10:00:00Z', '--start-time', now).toISOString()).toBe('2026-01-01T10:00:00.000Z')
    expect(parseTime('2026-01-01T10:00:00+02:00', '--start-time', now).toISOString()).toBe('2026-01-01T08:00:00.000Z')
    expect(parseTime('90m', '--start-time', now).toISOString()).toBe('2026-03-01T10:30:00.000Z')
    for (const bad of ['yesterday', '2026-13-45T99:00:00Z', '-5m']) expect(() => parseTime(bad, '--end-time', now)).toThrow(expect.objectContaining({exitCode: 2, message: expect.stringContaining(`--end-time expects an RFC 3339 time`)}))
  })
})

describe('shown events', () => {
  const event = (body: Uint8Array) =>
    create(MailboxEventSchema, {messageId: 'm1', timestamp: timestampFromDate(new Date('2026-01-01T00:00:00Z')), topic: 'orders', principal: 'bob@example.test', customHeaders: {'x-sequence': '2'}, body, bodyBytes: body.length})

  it('text as text; other bytes as base64, and say so', () => {
    const text = shownEvent(event(Buffer.from('hello\nworld')), true)
    const binary = shownEvent(event(new Uint8Array([0xff, 0x00, 0x01])), true)
    expect([text.payload, text.encoding, binary.payload, binary.encoding]).toEqual(['hello\nworld', 'utf8', '/wAB', 'base64'])
    expect(renderEvent(binary).split('\n').slice(-2)).toEqual(['Payload:        3 bytes, not UTF-8 text: shown as base64', '/wAB'])
    expect(renderEventTable([text, binary], true).split('\n')).toEqual([
      'MESSAGE ID   TIME                       TOPIC    PRINCIPAL          CORRELATION ID   CONTENT TYPE   BYTES   PAYLOAD',
      'm1           2026-01-01T00:00:00.000Z   orders   bob@example.test   -                -              11      hello world',
      'm1           2026-01-01T00:00:00.000Z   orders   bob@example.test   -                -              3       base64:/wAB',
    ])
  })

  it('without the payload: only its size', () => {
    const shown = shownEvent(event(Buffer.from('hello')), false)
    expect(shown).not.toHaveProperty('payload')
    expect(renderEvent(shown)).toContain('Payload:        5 bytes (not shown)')
    expect(renderEvent(shown)).toContain('Headers:        x-sequence=2')
  })
})
