/**
 * A hostile HTTP/2 client for transport tests: raw frames on a TCP socket, so that it can do what node:http2's
 * client never does (open more streams than the server allows, leave requests half-sent). It answers PINGs and
 * records what the server sends: its SETTINGS, response HEADERS, RST_STREAMs and GOAWAY.
 */
import {connect, type Socket} from 'node:net'

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')
const FRAME = {headers: 0x1, rstStream: 0x3, settings: 0x4, ping: 0x6, goaway: 0x7} as const
const FLAG = {ack: 0x1, endHeaders: 0x4} as const
export const ERROR = {noError: 0x0, refusedStream: 0x7} as const

function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9)
  header.writeUIntBE(payload.length, 0, 3)
  header[3] = type
  header[4] = flags
  header.writeUInt32BE(streamId & 0x7fffffff, 5)
  return Buffer.concat([header, payload])
}

/** HPACK "literal header field without indexing, new name", no Huffman: enough for short ASCII headers. */
function hpack(headers: [string, string][]): Buffer {
  const parts: Buffer[] = []
  for (const [name, value] of headers) {
    if (name.length > 126 || value.length > 126) throw new Error('header too long for this encoder')
    parts.push(Buffer.from([0x00, name.length]), Buffer.from(name), Buffer.from([value.length]), Buffer.from(value))
  }
  return Buffer.concat(parts)
}

export interface RawHttp2 {
  socket: Socket
  /** The server's SETTINGS parameters by id (0x3: MAX_CONCURRENT_STREAMS), once received. */
  settings: Map<number, number>
  /** Streams the server answered with HEADERS. */
  responded: Set<number>
  /** RST_STREAM error code by stream id. */
  resets: Map<number, number>
  goaway?: {lastStreamId: number; code: number}
  closed: boolean
  /** Sends request HEADERS for a new stream without END_STREAM (a request that never finishes); returns its id. */
  openHalfSentStream(path: string): number
  /** Resolves once `check` holds, or rejects after `ms`. */
  until(check: () => boolean, ms: number, what: string): Promise<void>
  close(): void
}

/** Connects, sends the preface and empty SETTINGS, and acknowledges the server's. */
export function rawHttp2(host: string, port: number): RawHttp2 {
  const socket = connect(port, host)
  let buffer = Buffer.alloc(0)
  let nextStream = 1
  const waiters = new Set<() => void>()
  const client: RawHttp2 = {
    socket,
    settings: new Map(),
    responded: new Set(),
    resets: new Map(),
    closed: false,
    openHalfSentStream(path) {
      const id = nextStream
      nextStream += 2
      const block = hpack([
        [':method', 'POST'],
        [':scheme', 'http'],
        [':path', path],
        [':authority', `${host}:${port}`],
        ['content-type', 'application/grpc'],
        ['te', 'trailers'],
      ])
      socket.write(frame(FRAME.headers, FLAG.endHeaders, id, block))
      return id
    },
    until(check, ms, what) {
      if (check()) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter)
          reject(new Error(`timed out after ${ms} ms waiting for ${what}`))
        }, ms)
        const waiter = () => {
          if (!check()) return
          clearTimeout(timer)
          waiters.delete(waiter)
          resolve()
        }
        waiters.add(waiter)
      })
    },
    close() {
      socket.destroy()
    },
  }
  const notify = () => {
    for (const waiter of [...waiters]) waiter()
  }
  socket.on('connect', () => socket.write(Buffer.concat([PREFACE, frame(FRAME.settings, 0, 0)])))
  socket.on('error', () => {})
  socket.on('close', () => {
    client.closed = true
    notify()
  })
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk])
    while (buffer.length >= 9) {
      const length = buffer.readUIntBE(0, 3)
      if (buffer.length < 9 + length) break
      const type = buffer[3]!
      const flags = buffer[4]!
      const streamId = buffer.readUInt32BE(5) & 0x7fffffff
      const payload = buffer.subarray(9, 9 + length)
      buffer = buffer.subarray(9 + length)
      if (type === FRAME.settings && !(flags & FLAG.ack)) {
        for (let i = 0; i + 6 <= payload.length; i += 6) client.settings.set(payload.readUInt16BE(i), payload.readUInt32BE(i + 2))
        socket.write(frame(FRAME.settings, FLAG.ack, 0))
      } else if (type === FRAME.ping && !(flags & FLAG.ack)) {
        socket.write(frame(FRAME.ping, FLAG.ack, 0, Buffer.from(payload)))
      } else if (type === FRAME.headers) {
        client.responded.add(streamId)
      } else if (type === FRAME.rstStream) {
        client.resets.set(streamId, payload.readUInt32BE(0))
      } else if (type === FRAME.goaway) {
        client.goaway = {lastStreamId: payload.readUInt32BE(0) & 0x7fffffff, code: payload.readUInt32BE(4)}
      }
    }
    notify()
  })
  return client
}
