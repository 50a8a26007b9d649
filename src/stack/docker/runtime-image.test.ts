import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import {planRuntimeImage, runtimeDependencies} from './runtime-image.js'

const root = fileURLToPath(new URL('../../..', import.meta.url))

describe('the runtime image plan', () => {
  it('packages the runtime dependency closure without native addons or host-only tools', () => {
    const {dirs} = runtimeDependencies(root)
    for (const needed of ['@grpc/grpc-js', 'pg', 'oidc-provider', 'openid-client', 'jose', 'prom-client', '@redis/client', 'kafkajs', 'yaml']) expect(dirs).toContain(`node_modules/${needed}`)
    for (const left of ['better-sqlite3', 'dockerode', 'ssh2', 'cpu-features', 'typescript', 'vitest', 'esbuild']) expect(dirs).not.toContain(`node_modules/${left}`)
  })

  it('is tagged by content: the same package gives the same tag, another base image another', () => {
    const a = planRuntimeImage(root, 'node:20-bookworm-slim', '0.1.0')
    expect(planRuntimeImage(root, 'node:20-bookworm-slim', '0.1.0').tag).toBe(a.tag)
    expect(planRuntimeImage(root, 'local/node:test', '0.1.0').tag).not.toBe(a.tag)
    expect(a.tag).toMatch(/^prismctl-runtime:0\.1\.0-[0-9a-f]{12}$/)
    expect(a.entries).toEqual(expect.arrayContaining(['bin', 'dist', 'templates', 'package.json', 'oclif.manifest.json']))
  })
})
