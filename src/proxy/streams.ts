import type * as grpc from '@grpc/grpc-js'
import {once} from 'node:events'

/** Writes one message and, when the client reads slower than we write, waits until it has caught up. */
export async function writeWithBackpressure(call: grpc.ServerWritableStream<unknown, unknown>, message: unknown): Promise<void> {
  if (call.write(message)) return
  await Promise.race([once(call, 'drain'), once(call, 'cancelled'), once(call, 'close')])
}
