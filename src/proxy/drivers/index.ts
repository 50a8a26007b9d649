/** Which driver module serves each backend type; each is imported only when a backend of its type is first used. */
import {PrismError} from '../../errors.js'
import {BackendType} from '../../gen/prism/admin/v1/resources_pb.js'
import type {Backend} from '../../gen/prism/admin/v1/resources_pb.js'
import type {Connect} from './types.js'

const DRIVERS: Partial<Record<BackendType, () => Promise<{connect: Connect}>>> = {
  [BackendType.MEMSTORE]: async () => await import('./memstore.js'),
  [BackendType.REDIS]: async () => await import('./redis.js'),
  [BackendType.NATS]: async () => await import('./nats.js'),
  [BackendType.POSTGRES]: async () => await import('./postgres.js'),
  [BackendType.KAFKA]: async () => await import('./kafka.js'),
  [BackendType.SQLITE]: async () => await import('./sqlite.js'),
}

export async function driverFor(backend: Backend): Promise<Connect> {
  const load = DRIVERS[backend.type]
  if (!load) {
    throw new PrismError(`backend ${backend.name} is of type ${BackendType[backend.type] ?? backend.type}, which this proxy has no driver for`, {
      code: 'UNIMPLEMENTED',
      hint: `Drivers exist for: ${Object.keys(DRIVERS).map((t) => BackendType[Number(t)]!.toLowerCase()).join(', ')}.`,
    })
  }
  return (await load()).connect
}
