/**
 * A committed change as watchers receive it. Most watchers get resources redacted; callers with the proxy role get
 * static credentials in clear (a proxy connects to backends with them). Each form is built from the stored bytes
 * once, when a watcher first needs it, and shared by every watcher, together with its encoded size (what the
 * change costs a watcher's buffer).
 */
import {create, fromBinary, toBinary} from '@bufbuild/protobuf'

import {WatchEventSchema, WatchEventType} from '../gen/prism/admin/v1/control_plane_pb.js'
import type {WatchEvent} from '../gen/prism/admin/v1/control_plane_pb.js'
import {BackendSchema, NamespaceSchema} from '../gen/prism/admin/v1/resources_pb.js'
import {redactBackend, redactNamespace} from './secrets.js'
import type {Kind} from './store.js'

export interface EncodedEvent {
  event: WatchEvent
  /** Its size on the wire. */
  bytes: number
}

export class Change {
  private readonly forms = new Map<boolean, EncodedEvent>()

  /** `data`: the resource as stored (protobuf binary, secrets included); absent for a delete known only by name. */
  constructor(
    readonly type: WatchEventType.UPSERT | WatchEventType.DELETE,
    readonly kind: Kind,
    readonly name: string,
    private readonly data?: Uint8Array,
  ) {}

  /** `clear`: static credentials as stored; only ever for the proxy role. */
  event(clear: boolean): EncodedEvent {
    let form = this.forms.get(clear)
    if (!form) {
      const event = create(WatchEventSchema, {type: this.type, resource: this.resource(clear)})
      form = {event, bytes: toBinary(WatchEventSchema, event).length}
      this.forms.set(clear, form)
    }
    return form
  }

  private resource(clear: boolean): WatchEvent['resource'] {
    if (this.kind === 'namespace') {
      const ns = this.data ? fromBinary(NamespaceSchema, this.data) : create(NamespaceSchema, {name: this.name})
      return {case: 'namespace', value: clear ? ns : redactNamespace(ns)}
    }
    const backend = this.data ? fromBinary(BackendSchema, this.data) : create(BackendSchema, {name: this.name})
    return {case: 'backend', value: clear ? backend : redactBackend(backend)}
  }
}

/** The event that ends a Watch's snapshot. */
export const SYNCED: EncodedEvent = (() => {
  const event = create(WatchEventSchema, {type: WatchEventType.SYNCED})
  return {event, bytes: toBinary(WatchEventSchema, event).length}
})()
