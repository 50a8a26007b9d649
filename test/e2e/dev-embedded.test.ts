/**
 * `prismctl dev up --embedded` end to end through the built CLI, on free ports: the stack's one background process
 * (issuer, control plane, proxy), the dev context and login it sets up, logins as other test users (device code
 * approved headlessly at the embedded issuer, and the password grant), data through the embedded proxy, and the
 * lifecycle: up twice, a busy port, down, a stale pid file.
 */
import {existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {renderDexConfig} from '../../src/stack/dex-config.js'
import {embeddedPaths, pidState, processAlive} from '../../src/stack/embedded/state.js'
import {approveDexDevice} from '../helpers/browser.js'
import {ROOT, runCli, tempDir, type RunOptions} from '../helpers/cli.js'
import {freePort} from '../helpers/ports.js'
import {spawnServer} from '../helpers/server-process.js'
import {eventually} from '../helpers/subscriptions.js'

// An exited stack may linger as a zombie until init reaps it; that counts as gone.
const alive = processAlive

describe('dev up --embedded', () => {
  const configDir = tempDir('prismctl-dev-')
  const stackDir = join(configDir, 'dev', 'embedded')
  const cli = (args: string[], options: RunOptions = {}) => runCli(args, {configDir, timeoutMs: 60_000, ...options})
  let ports: {issuer: number; admin: number; proxy: number; metrics: number}
  let portFlags: string[]
  let issuer: string
  let pid: number

  beforeAll(async () => {
    ports = {issuer: await freePort(), admin: await freePort(), proxy: await freePort(), metrics: await freePort()}
    portFlags = ['--issuer-port', `${ports.issuer}`, '--admin-port', `${ports.admin}`, '--proxy-port', `${ports.proxy}`, '--metrics-port', `${ports.metrics}`]
    issuer = `http://localhost:${ports.issuer}/dex`
  })

  afterAll(async () => {
    await cli(['dev', 'down', '--embedded'])
    // Only a stack still running from this test's pid file: a bare pid may belong to another process by now.
    const left = pidState(embeddedPaths({PRISM_CONFIG_DIR: configDir}))
    if (left.state === 'running') process.kill(left.pid, 'SIGKILL')
  })

  it('starts, returns once healthy, writes the dev context and logs in as admin', async () => {
    const up = await cli(['dev', 'up', '--embedded', ...portFlags, '--timeout', '50s'])
    expect(up.code, up.stderr + up.stdout).toBe(0)
    expect(up.stdout).toContain('The embedded dev stack is up.')
    expect(up.stdout).toMatch(/admin@local\.prism\s+prism-admin\s+admin/)
    expect(up.stdout).toContain('Context "dev" is current; logged in as admin@local.prism (admin).')
    pid = Number(readFileSync(join(stackDir, 'stack.pid'), 'utf8'))
    expect(alive(pid)).toBe(true)

    const status = await cli(['dev', 'status', '--embedded', '-o', 'json'])
    expect(status.code, status.stderr).toBe(0)
    expect(JSON.parse(status.stdout)).toMatchObject({
      stack: 'embedded',
      running: true,
      healthy: true,
      pid,
      issuer,
      adminEndpoint: `127.0.0.1:${ports.admin}`,
      proxyEndpoint: `127.0.0.1:${ports.proxy}`,
      services: [
        {service: 'issuer', healthy: true},
        {service: 'control plane', healthy: true},
        {service: 'proxy', healthy: true},
      ],
    })
    const env = await cli(['dev', 'status', '-o', 'env'])
    expect(env.stdout).toContain(`export PRISM_ADMIN_ENDPOINT="127.0.0.1:${ports.admin}"`)
    expect(env.stdout).toContain(`export PRISM_ISSUER="${issuer}"`)

    const whoami = await cli(['whoami', '--json'])
    expect(JSON.parse(whoami.stdout)).toMatchObject({context: 'dev', email: 'admin@local.prism', groups: ['admins'], controlPlane: {reachable: true, roles: ['admin']}})
  })

  it('is idempotent: up again says it is already running and keeps the same process', async () => {
    const again = await cli(['dev', 'up', '--embedded', ...portFlags])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain('already running')
    expect(Number(readFileSync(join(stackDir, 'stack.pid'), 'utf8'))).toBe(pid)
  })

  it('applies the memstore example and serves kv set/get through the embedded proxy', async () => {
    const apply = await cli(['apply', '-f', 'templates/examples/kv-memstore.yaml'])
    expect(apply.code, apply.stderr).toBe(0)
    expect(apply.stdout).toContain('namespace/scratch-kv created')
    const set = await cli(['kv', 'set', 'scratch-kv', 'greeting', 'hello from dev'])
    expect(set.code, set.stderr).toBe(0)
    const get = await cli(['kv', 'get', 'scratch-kv', 'greeting'])
    expect([get.code, get.stdout]).toEqual([0, 'hello from dev'])
    // The proxy's lease renewal lands moments after its table changes, not with the call that showed it serving.
    await eventually(async () => expect(JSON.parse((await cli(['namespace', 'get', 'scratch-kv', '-o', 'json'])).stdout)).toMatchObject({status: {phase: 'active', servingProxies: ['dev-embedded']}}), 20, 250)
  })

  it('prismctl login (device code) approved headlessly at the embedded issuer as the operator', async () => {
    let approving: Promise<void> | undefined
    const login = await cli(['login'], {
      onStderr: (text) => {
        const code = /enter the code: (\S+)/.exec(text)?.[1]
        if (code && !approving) approving = approveDexDevice(issuer, code, 'operator@local.prism', 'prism-operator')
      },
    })
    await approving
    expect(login.stderr).toContain(`open ${issuer}/device and enter the code`)
    expect(login.code, login.stderr).toBe(0)
    expect(login.stdout).toContain(`Logged in to ${issuer} as operator@local.prism (context dev).`)
    const whoami = await cli(['whoami', '--json'])
    expect(JSON.parse(whoami.stdout)).toMatchObject({email: 'operator@local.prism', groups: ['platform-team'], controlPlane: {roles: ['operator']}})
  })

  it('login --username as the viewer (password grant): reads work, a write is refused', async () => {
    const login = await cli(['login', '--username', 'viewer@local.prism', '--password-stdin'], {input: 'prism-viewer\n'})
    expect(login.code, login.stderr).toBe(0)
    const list = await cli(['namespace', 'list', '-o', 'json'])
    expect(list.code, list.stderr).toBe(0)
    const apply = await cli(['apply', '-f', 'templates/examples/kv-memstore.yaml'])
    expect(apply.code).toBe(1)
    expect(apply.stderr).toContain('permission denied: ApplyNamespace needs the operator role; viewer@local.prism has viewer')
    const wrong = await cli(['login', '--username', 'viewer@local.prism', '--password-stdin'], {input: 'not-the-password\n'})
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toContain('rejected the username or password')
  })

  it('dev logs shows the services\' lines', async () => {
    const logs = await cli(['dev', 'logs'])
    expect(logs.code).toBe(0)
    expect(logs.stdout).toMatch(/issuer: http:\/\/localhost:\d+\/dex/)
    expect(logs.stdout).toContain('admin: bootstrap: backend memstore-dev registered')
    expect(logs.stdout).toContain('stack: ready')
    const tail = await cli(['dev', 'logs', '--tail', '2'])
    expect(tail.stdout.trimEnd().split('\n')).toHaveLength(2)
    // One service, and only recent lines: everything here is younger than an hour, nothing is from the future.
    const admin = (await cli(['dev', 'logs', 'admin', '--since', '1h'])).stdout.trimEnd().split('\n')
    expect(admin.length).toBeGreaterThan(1)
    expect(admin.every((line) => / admin: /.test(line))).toBe(true)
    const none = await cli(['dev', 'logs', '--since', '1ms'])
    expect(none.stdout).toBe('')
    expect(none.stderr).toContain('No log lines match')
    // Following ends at Ctrl-C, with the exit a shell reports for an interrupted process.
    const followed = await cli(['dev', 'logs', '-f', '--tail', '1'], {
      onStdout: (stdout, child) => {
        if (stdout.includes('\n') && !child.killed) child.kill('SIGINT')
      },
    })
    expect(followed.code, followed.stderr).toBe(130)
    expect(followed.stdout.trimEnd().split('\n')).toHaveLength(1)
  })

  it('a second stack on the same ports is refused before it starts, naming the port and its holder', async () => {
    const other = await runCli(['dev', 'up', '--embedded', ...portFlags], {configDir: tempDir('prismctl-dev-other-')})
    expect(other.code).toBe(1)
    expect(other.stderr).toContain(`port ${ports.issuer} (issuer) is in use by pid ${pid} (`)
    expect(other.stderr).toContain(`port ${ports.admin} (control plane) is in use by pid ${pid} (`)
  })

  it('dev down stops the process and removes the pid file; status then says not running', async () => {
    const down = await cli(['dev', 'down', '--embedded'])
    expect(down.code, down.stderr).toBe(0)
    expect(down.stdout).toContain(`Stopped the embedded dev stack (pid ${pid}).`)
    expect(alive(pid)).toBe(false)
    expect(existsSync(join(stackDir, 'stack.pid'))).toBe(false)
    const status = await cli(['dev', 'status', '--embedded'])
    expect(status.code).toBe(1)
    expect(status.stdout).toContain('The embedded dev stack is not running.')
    const again = await cli(['dev', 'down', '--embedded'])
    expect(again.stdout).toContain('The embedded dev stack is not running.')
  })

  it('a stale pid file (the process is gone) is reported and removed, and up starts afresh', async () => {
    // A pid that was ours but no longer exists: this test's own stack, stopped above.
    writeFileSync(join(stackDir, 'stack.pid'), `${pid}\n`)
    const status = await cli(['dev', 'status', '--embedded'])
    expect(status.code).toBe(1)
    expect(status.stdout).toContain('stale pid file was removed')
    writeFileSync(join(stackDir, 'stack.pid'), `${pid}\n`)
    const down = await cli(['dev', 'down', '--embedded'])
    expect(down.stdout).toContain(`removed its stale pid file (pid ${pid})`)
    writeFileSync(join(stackDir, 'stack.pid'), `${pid}\n`)
    const up = await cli(['dev', 'up', '--embedded', ...portFlags, '--no-login', '--no-context'])
    expect(up.code, up.stderr).toBe(0)
    expect(up.stderr).toContain(`removing the stale pid file of a stack that is gone (pid ${pid})`)
    const restarted = Number(readFileSync(join(stackDir, 'stack.pid'), 'utf8'))
    expect(restarted).not.toBe(pid)
    pid = restarted
    // The control plane's SQLite store survived the restart, and so did the issuer's signing key (kept in the config
    // directory): the token from before the restart is still accepted.
    const keyFile = join(configDir, 'dev', 'issuer-signing-key.json')
    expect(statSync(keyFile).mode & 0o777).toBe(0o600)
    const get = await cli(['namespace', 'get', 'scratch-kv', '-o', 'json'])
    expect(get.code, get.stderr).toBe(0)
    expect(JSON.parse(get.stdout)).toMatchObject({name: 'scratch-kv'})
    const login = await cli(['login', '--username', 'admin@local.prism', '--password-stdin'], {input: 'prism-admin'})
    expect(login.code, login.stderr).toBe(0)
    // Bootstrap again at this start, and idempotent: the backend was already there.
    expect((await cli(['dev', 'logs'])).stdout).toContain('admin: bootstrap: backend memstore-dev present')
    const down2 = await cli(['dev', 'down', '--embedded'])
    expect(down2.code).toBe(0)
    expect(alive(pid)).toBe(false)
  })
})

describe('dev reset --embedded', () => {
  const configDir = tempDir('prismctl-dev-reset-')
  const cli = (args: string[], options: RunOptions = {}) => runCli(args, {configDir, timeoutMs: 60_000, ...options})
  afterAll(async () => {
    await cli(['dev', 'down', '--embedded'])
  })

  it('stops the stack, deletes its store, and starts it again from nothing', async () => {
    const portFlags = ['--issuer-port', `${await freePort()}`, '--admin-port', `${await freePort()}`, '--proxy-port', `${await freePort()}`, '--metrics-port', `${await freePort()}`]
    expect((await cli(['dev', 'up', '--embedded', ...portFlags])).code).toBe(0)
    expect((await cli(['apply', '-f', 'templates/examples/kv-memstore.yaml'], {cwd: ROOT})).code).toBe(0)
    const reset = await cli(['dev', 'reset', '--embedded', ...portFlags])
    expect(reset.code, reset.stderr).toBe(0)
    expect(reset.stderr).toMatch(/reset the embedded dev stack: stopped it; removed its store .*controlplane\.db/)
    expect(reset.stdout).toContain('The embedded dev stack is up.')
    const ns = await cli(['namespace', 'get', 'scratch-kv'])
    expect(ns.code).toBe(1)
    expect(ns.stderr).toContain('namespace "scratch-kv" not found')
    // The default backend is registered again.
    expect((await cli(['backend', 'get', 'memstore-dev'])).code).toBe(0)
  }, 90_000)
})

describe('dev up --embedded when the stack cannot start', () => {
  const configDir = tempDir('prismctl-dev-fail-')
  const stackDir = join(configDir, 'dev', 'embedded')
  const cli = (args: string[]) => runCli(args, {configDir, timeoutMs: 60_000})
  const ports = async () => ['--issuer-port', `${await freePort()}`, '--admin-port', `${await freePort()}`, '--proxy-port', `${await freePort()}`, '--metrics-port', `${await freePort()}`]

  it('a process that dies while starting: exit 1 with the last log lines, no pid file, no context', async () => {
    // The SQLite store cannot be opened where a directory stands.
    mkdirSync(join(stackDir, 'controlplane.db'), {recursive: true})
    const up = await cli(['dev', 'up', '--embedded', ...(await ports())])
    expect(up.code).toBe(1)
    expect(up.stderr).toContain('Error: the embedded stack stopped while starting')
    expect(up.stderr).toMatch(/last \d+ lines of .*stack\.log:/)
    expect(up.stderr).toContain('issuer: http://localhost:')
    expect(existsSync(join(stackDir, 'stack.pid'))).toBe(false)
    const contexts = await cli(['context', 'list', '-o', 'json'])
    expect(contexts.stdout).not.toContain('"dev"')
    rmSync(join(stackDir, 'controlplane.db'), {recursive: true})
  })

  it('a stack that is not healthy within --timeout is stopped, and the error says what did not answer', async () => {
    const up = await cli(['dev', 'up', '--embedded', ...(await ports()), '--timeout', '1ms'])
    expect(up.code).toBe(1)
    expect(up.stderr).toMatch(/Error: the embedded stack did not get healthy within 0\.001 s; not answering: .*control plane/)
    expect(existsSync(join(stackDir, 'stack.pid'))).toBe(false)
    const status = await cli(['dev', 'status', '--embedded', '-o', 'json'])
    expect(JSON.parse(status.stdout)).toMatchObject({running: false, healthy: false})
  })
})

describe('dev issuer --config: the development issuer on its own, from a rendered Dex config', () => {
  it('serves what prismctl login needs, and stops on SIGTERM', async () => {
    const configDir = tempDir('prismctl-dev-issuer-')
    const port = await freePort()
    const issuer = `http://localhost:${port}/dex`
    const file = join(configDir, 'dex.yaml')
    writeFileSync(file, await renderDexConfig({issuer, listen: `127.0.0.1:${port}`}))
    const server = await spawnServer({args: ['dev', 'issuer', '--config', file], listening: /listening on (\S+)/, configDir})
    try {
      expect(server.endpoint).toBe(`127.0.0.1:${port}`)
      const login = await runCli(['login', '--issuer', issuer, '--username', 'operator@local.prism', '--password-stdin'], {configDir, input: 'prism-operator'})
      expect(login.code, login.stderr).toBe(0)
      expect(login.stdout).toContain(`Logged in to ${issuer} as operator@local.prism`)
    } finally {
      expect((await server.stop()).code).toBe(0)
    }
  })
})
