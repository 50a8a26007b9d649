/**
 * dist/docker.cjs is dockerode with two of its requires made lazy (scripts/lazy-requires.js): loading it must not
 * load ssh2 or grpc-js (about 250 ms of every dev command), and the client must still talk to an engine.
 */
import {execFileSync} from 'node:child_process'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {ROOT} from '../helpers/cli.js'

const load = `
const Docker = require(${JSON.stringify(join(ROOT, 'dist/docker.cjs'))})
const loaded = Object.keys(require.cache).filter((f) => /node_modules[\\\\/](ssh2|@grpc|protobufjs)[\\\\/]/.test(f))
const docker = new Docker({socketPath: '/var/run/docker.sock'})
docker.ping().then((r) => console.log(JSON.stringify({loaded, ping: String(r)})), (e) => console.log(JSON.stringify({loaded, error: e.message})))
`

describe('dist/docker.cjs', () => {
  it('loads neither ssh2 nor grpc-js, and answers a ping from the engine', () => {
    const out = JSON.parse(execFileSync(process.execPath, ['-e', load], {encoding: 'utf8'}))
    expect(out.loaded).toEqual([])
    expect(out.ping).toBe('OK')
  })

  it('loads ssh2 when an ssh:// engine is used', () => {
    // Nothing listens on port 1: the error must come from ssh2 connecting, not from a module that is missing.
    const script = `
const Docker = require(${JSON.stringify(join(ROOT, 'dist/docker.cjs'))})
new Docker({protocol: 'ssh', host: '127.0.0.1', port: 1, username: 'nobody'}).ping().then(
  () => console.log(JSON.stringify({ok: true})),
  (e) => console.log(JSON.stringify({code: e.code, ssh2: Object.keys(require.cache).some((f) => /[\\/]ssh2[\\/]/.test(f))})))
`
    expect(JSON.parse(execFileSync(process.execPath, ['--no-deprecation', '-e', script], {encoding: 'utf8'}))).toEqual({code: 'ECONNREFUSED', ssh2: true})
  })
})
