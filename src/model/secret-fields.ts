/**
 * Where secret values live in our resources. A value at one of these places never appears in a message, whatever
 * its type (a password written as a number is still a password): messages say what kind of value it is, not what.
 */
import type {DescField} from '@bufbuild/protobuf'

import {StaticCredentialsSchema} from '../gen/prism/admin/v1/resources_pb.js'

const SECRET_FIELDS: ReadonlyMap<string, ReadonlySet<string>> = new Map([[StaticCredentialsSchema.typeName, new Set(['password', 'token'])]])

export function isSecretField(field: DescField): boolean {
  return SECRET_FIELDS.get(field.parent.typeName)?.has(field.name) ?? false
}
