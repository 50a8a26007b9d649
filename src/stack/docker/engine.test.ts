import {createHash} from 'node:crypto'
import {mkdirSync, writeFileSync} from 'node:fs'
import {homedir, tmpdir} from 'node:os'
import {join} from 'node:path'
import {mkdtempSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {engineCandidates, findEngine} from './engine.js'

function dockerConfig(current: string | undefined, contexts: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'prism-docker-config-'))
  if (current) writeFileSync(join(dir, 'config.json'), JSON.stringify({currentContext: current}))
  for (const [name, host] of Object.entries(contexts)) {
    const meta = join(dir, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'))
    mkdirSync(meta, {recursive: true})
    writeFileSync(join(meta, 'meta.json'), JSON.stringify({Name: name, Endpoints: {docker: {Host: host}}}))
  }
  return dir
}

describe('engine discovery', () => {
  it('DOCKER_HOST wins over everything', () => {
    expect(engineCandidates({DOCKER_HOST: 'tcp://10.0.0.5:2375', DOCKER_CONTEXT: 'colima'})).toEqual([{host: 'tcp://10.0.0.5:2375', source: 'DOCKER_HOST'}])
  })

  it('then the current context: DOCKER_CONTEXT, else currentContext in config.json', () => {
    const dir = dockerConfig('colima', {colima: 'unix:///home/u/.colima/default/docker.sock', podman: 'unix:///run/podman/podman.sock'})
    expect(engineCandidates({DOCKER_CONFIG: dir})).toEqual([{host: 'unix:///home/u/.colima/default/docker.sock', source: 'docker context "colima"'}])
    expect(engineCandidates({DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'podman'})).toEqual([{host: 'unix:///run/podman/podman.sock', source: 'docker context "podman"'}])
    expect(() => engineCandidates({DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'gone'})).toThrow('the current docker context "gone" has no metadata')
  })

  it('then the usual sockets, in order, for the default context', () => {
    const dir = dockerConfig('default', {})
    const hosts = engineCandidates({DOCKER_CONFIG: dir, XDG_RUNTIME_DIR: '/run/user/1000'}).map((c) => c.host)
    expect(hosts).toEqual([
      `unix://${join(homedir(), '.docker/run/docker.sock')}`,
      `unix://${join(homedir(), '.docker/desktop/docker.sock')}`,
      'unix:///var/run/docker.sock',
      'unix:///run/user/1000/docker.sock',
      `unix://${join(homedir(), '.colima/default/docker.sock')}`,
      'unix:///run/user/1000/podman/podman.sock',
      'unix:///run/podman/podman.sock',
      `unix://${join(homedir(), '.local/share/containers/podman/machine/podman.sock')}`,
    ])
  })

  it('none answering is one error listing what was tried, how to start Docker, and --embedded', async () => {
    const err = await findEngine({DOCKER_HOST: `unix://${join(tmpdir(), 'no-such-docker.sock')}`}).catch((e: unknown) => e)
    expect(err).toMatchObject({message: 'no Docker engine answers', code: 'UNAVAILABLE'})
    const e = err as {details: string[]; hint: string}
    expect(e.details.join('\n')).toContain('no-such-docker.sock (DOCKER_HOST): no such socket')
    expect(e.hint).toContain('--embedded needs no Docker')
  })

  it('finds the engine this machine runs (real dockerd, in CI)', async () => {
    const engine = await findEngine({DOCKER_CONFIG: dockerConfig(undefined, {})})
    expect(engine.host).toMatch(/^unix:\/\//)
    expect(await engine.docker.ping()).toBeTruthy()
  })
})
