/**
 * Where secret values live in our resources. A value at one of these places never appears in a message, whatever
 * its type (a password written as a number is still a password): messages say what kind of value it is, not what.
 */
import {reflect} from '@bufbuild/protobuf/reflect'
import type {DescField, DescMessage, Message} from '@bufbuild/protobuf'
import type {ReflectMessage} from '@bufbuild/protobuf/reflect'

import {StaticCredentialsSchema} from '../gen/prism/admin/v1/resources_pb.js'

const SECRET_FIELDS: ReadonlyMap<string, ReadonlySet<string>> = new Map([[StaticCredentialsSchema.typeName, new Set(['password', 'token'])]])

export function isSecretField(field: DescField): boolean {
  return SECRET_FIELDS.get(field.parent.typeName)?.has(field.name) ?? false
}

/** A message with secret fields of its own: a key written in it by mistake may be a secret ("password SEKRIT"). */
export function hasSecretFields(desc: DescMessage): boolean {
  return SECRET_FIELDS.has(desc.typeName)
}

/** A message that has secret fields or holds one that has (Credentials): a wrong value written for it may be one. */
export function mayHoldSecret(desc: DescMessage): boolean {
  return hasSecretFields(desc) || desc.fields.some((f) => f.message !== undefined && hasSecretFields(f.message))
}

/** Whether a message holds a secret value anywhere (a Backend's or a slot binding's static credentials). */
export function holdsSecretValue(desc: DescMessage, message: Message): boolean {
  const walk = (m: ReflectMessage): boolean =>
    m.fields.some((f) => {
      if (!m.isSet(f)) return false
      if (f.fieldKind === 'scalar') return isSecretField(f)
      if (f.fieldKind === 'message') return walk(m.get(f))
      if (f.fieldKind === 'list' && f.listKind === 'message') return [...m.get(f)].some((item) => walk(item as ReflectMessage))
      if (f.fieldKind === 'map' && f.mapKind === 'message') return [...m.get(f).values()].some((item) => walk(item as ReflectMessage))
      return false
    })
  return walk(reflect(desc, message))
}
