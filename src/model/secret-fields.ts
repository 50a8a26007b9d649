/**
 * Where secret values live in our resources. A value at one of these places never appears in a message, whatever
 * its type (a password written as a number is still a password): messages say what kind of value it is, not what.
 */
import type {DescField, DescMessage} from '@bufbuild/protobuf'

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
