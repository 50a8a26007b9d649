import {create} from '@bufbuild/protobuf'
import {describe, expect, it} from 'vitest'

import {BackendSchema, BackendType} from '../gen/prism/admin/v1/resources_pb.js'
import {connectionOf} from './resolve.js'
import {redactBackend} from './secrets.js'

describe('redactBackend', () => {
  it('hides a password a URL of a backend stored before the rule against it still holds, in reads and in resolved connections', () => {
    const stored = () => create(BackendSchema, {name: 'old-nats', type: BackendType.NATS, config: {case: 'nats', value: {url: 'nats://prism:old-url-secret@nats:4222', jetstream: true}}})
    expect(redactBackend(stored()).config).toMatchObject({case: 'nats', value: {url: 'nats://prism:[REDACTED]@nats:4222'}})
    expect(connectionOf(stored())).toBe('nats://prism:[REDACTED]@nats:4222')
    const s3 = create(BackendSchema, {name: 'old-s3', type: BackendType.S3, config: {case: 's3', value: {bucket: 'b', endpoint: 'https://key:s3-secret@s3.local'}}})
    expect(connectionOf(s3)).not.toContain('s3-secret')
    expect(redactBackend(s3).config).toMatchObject({case: 's3', value: {endpoint: 'https://key:[REDACTED]@s3.local'}})
  })
})
