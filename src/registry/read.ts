/** Reads of one resource on an open connection, shared by get, delete, diff and client dry runs. */
import type {AdminClient} from '../api/admin-client.js'
import {PrismError} from '../errors.js'
import type {Kind, Resource} from '../model/documents.js'

/** One get; NOT_FOUND when it does not exist. */
export async function fetchResource<K extends Kind>(admin: AdminClient, kind: K, name: string): Promise<Resource<K>> {
  const subject = {kind, name}
  return (kind === 'Namespace' ? await admin.call('getNamespace', {name}, subject) : await admin.call('getBackend', {name}, subject)) as Resource<K>
}

/** One get; undefined when it does not exist. */
export async function findResource<K extends Kind>(admin: AdminClient, kind: K, name: string): Promise<Resource<K> | undefined> {
  try {
    return await fetchResource(admin, kind, name)
  } catch (err) {
    if (err instanceof PrismError && err.code === 'NOT_FOUND') return undefined
    throw err
  }
}
