/**
 * `prismctl dev up` on the real Docker engine, end to end through the built CLI. No registry is reachable here, so
 * the images are built from this machine's binaries (test/helpers/docker-images.ts) and passed with --image,
 * --base-image and --pull never; Dex, Vault and Kafka cannot run here, so the stack is --oidc embedded (the
 * development issuer from the runtime image in Dex's place) --without vault,kafka. Containers are reached only
 * through their ports published on 127.0.0.1. Each stack gets its own name and port offset, and is removed after.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {createServer, type Server} from 'node:net'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {approveDexDevice} from '../helpers/browser.js'
import {isPortFree} from '../../src/stack/ports.js'
import {runCli, tempDir, type RunOptions} from '../helpers/cli.js'
import {ensureTestImages, type TestImages} from '../helpers/docker-images.js'
import {eventually} from '../helpers/subscriptions.js'

const HOST_PORTS = [5556, 8200, 8981, 50090, 50091, 5432, 6379, 4222, 9092]

function docker(...args: string[]): string {
  return execFileSync('docker', args, {encoding: 'utf8'}).trim()
}

/** A container's last log lines (both streams), for an assertion's message. */
function logsOf(container: string): string {
  const out = spawnSync('docker', ['logs', '--tail', '40', container], {encoding: 'utf8'})
  return `${container}'s last log lines:\n${out.stdout}${out.stderr}`
}

/**
 * Offsets that keep all nine ports outside Linux's ephemeral range (32768–60999), where an outgoing connection or a
 * listen(0) of a test running in parallel could take one before the stack binds it: 4222–9092 plus the offset stay
 * below it, 50090–50091 plus the offset above.
 */
const MIN_OFFSET = 10_910
const OFFSETS = 65_535 - 50_091 - MIN_OFFSET + 1

/** An offset in that range (from `from` on, wrapping) whose every port is free now. */
async function freeOffset(from: number): Promise<number> {
  for (let step = 0; step < OFFSETS; step += 37) {
    const offset = MIN_OFFSET + ((from + step) % OFFSETS)
    const free = await Promise.all(HOST_PORTS.map((p) => isPortFree(p + offset)))
    if (free.every(Boolean)) return offset
  }
  throw new Error('no free port offset')
}

const labelled = (kind: 'ps' | 'network' | 'volume', stack: string) =>
  docker(...(kind === 'ps' ? ['ps', '-a'] : [kind, 'ls']), '-q', '--filter', `label=dev.prism.stack=${stack}`).split('\n').filter(Boolean)

const containerIds = (stack: string) =>
  Object.fromEntries(
    docker('ps', '-a', '--filter', `label=dev.prism.stack=${stack}`, '--format', '{{.Label "dev.prism.service"}} {{.ID}}')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ') as [string, string]),
  )

describe('dev up on Docker (--oidc embedded --without vault,kafka)', () => {
  const stack = `t${process.pid}`
  const configDir = tempDir('prismctl-dev-docker-')
  const cli = (args: string[], options: RunOptions = {}) => runCli(args, {configDir, timeoutMs: 150_000, ...options})
  let images: TestImages
  let offset: number
  let upFlags: string[]
  let flagsFor: (name: string, portOffset: number) => string[]

  beforeAll(async () => {
    images = ensureTestImages()
    offset = await freeOffset(process.pid)
    flagsFor = (name, portOffset) => [
      '--stack', name, '--port-offset', `${portOffset}`, '--oidc', 'embedded', '--without', 'vault,kafka', '--pull', 'never',
      '--base-image', images.node, '--image', `redis=${images.redis}`, '--image', `nats=${images.nats}`, '--image', `postgres=${images.postgres}`,
      '--timeout', '120s',
    ]
    upFlags = flagsFor(stack, offset)
  }, 120_000)

  afterAll(async () => {
    await cli(['dev', 'down', '--stack', stack, '--volumes'])
    for (const extra of [`${stack}b`, `${stack}c`, `${stack}d`]) await cli(['dev', 'down', '--stack', extra, '--volumes'])
  }, 60_000)

  it('starts every service healthy, writes the dev context and logs in as admin', async () => {
    const up = await cli(['dev', 'up', ...upFlags, '--json'])
    expect(up.code, up.stderr + up.stdout).toBe(0)
    // Nothing but the final JSON: no progress lines on either stream.
    expect(up.stderr).toBe('')
    const result = JSON.parse(up.stdout)
    expect(result).toMatchObject({
      stack: 'docker',
      name: stack,
      healthy: true,
      actions: {postgres: 'created', redis: 'created', nats: 'created', dex: 'created', admin: 'created', proxy: 'created'},
      issuer: `http://localhost:${5556 + offset}/dex`,
      adminEndpoint: `127.0.0.1:${8981 + offset}`,
      proxyEndpoint: `127.0.0.1:${50090 + offset}`,
      loggedInAs: 'admin@local.prism',
    })
    expect(result.bootstrap).toEqual(['backend memstore-dev registered', 'backend redis-dev registered', 'backend nats-dev registered', 'backend postgres-dev registered'])
    expect(result.containers.map((c: {service: string; state: string}) => `${c.service}:${c.state}`)).toEqual(['postgres:running', 'redis:running', 'nats:running', 'dex:running', 'admin:running', 'proxy:running'])
    // Only the issuer, control plane and proxy are published, and only on 127.0.0.1.
    const published = result.containers.flatMap((c: {published: string[]}) => c.published)
    expect(published.sort()).toEqual([`127.0.0.1:${5556 + offset}->5556`, `127.0.0.1:${8981 + offset}->8981`, `127.0.0.1:${50090 + offset}->50090`, `127.0.0.1:${50091 + offset}->50091`].sort())
    const who = await cli(['whoami', '-o', 'json'])
    expect(who.code, who.stderr).toBe(0)
    expect(JSON.parse(who.stdout)).toMatchObject({email: 'admin@local.prism'})
  }, 180_000)

  it('logs in as another test user with the password grant, and back', async () => {
    const login = await cli(['login', '--username', 'operator@local.prism', '--password-stdin'], {input: 'prism-operator\n'})
    expect(login.code, login.stderr).toBe(0)
    expect(JSON.parse((await cli(['whoami', '-o', 'json'])).stdout)).toMatchObject({email: 'operator@local.prism'})
    const back = await cli(['login', '--username', 'admin@local.prism', '--password-stdin'], {input: 'prism-admin\n'})
    expect(back.code, back.stderr).toBe(0)
  })

  it('logs in with the device code at the containerised issuer, approved headlessly, and the control plane in its container accepts the token', async () => {
    const issuer = `http://localhost:${5556 + offset}/dex`
    let approving: Promise<void> | undefined
    const login = await cli(['login'], {
      onStderr: (text) => {
        const code = /enter the code: (\S+)/.exec(text)?.[1]
        if (code && !approving) approving = approveDexDevice(issuer, code, 'viewer@local.prism', 'prism-viewer')
      },
    })
    await approving
    expect(login.code, login.stderr).toBe(0)
    expect(login.stdout).toContain(`Logged in to ${issuer} as viewer@local.prism (context dev).`)
    const who = await cli(['whoami', '--json'])
    expect(JSON.parse(who.stdout)).toMatchObject({email: 'viewer@local.prism', controlPlane: {roles: ['viewer']}})
    const back = await cli(['login', '--username', 'admin@local.prism', '--password-stdin'], {input: 'prism-admin\n'})
    expect(back.code, back.stderr).toBe(0)
  }, 60_000)

  it('applies a namespace on redis-dev and nats-dev; kv and publish/consume go through the containerised proxy', async () => {
    const file = join(configDir, 'ns.yaml')
    writeFileSync(
      file,
      'kind: Namespace\nname: docker-e2e\nteam: platform-team\npatterns:\n  - name: cache\n    type: keyvalue\n    requires: [{slot: kv-store, backend: redis-dev}]\n  - name: events\n    type: pubsub\n    requires: [{slot: message-bus, backend: nats-dev}]\n',
    )
    const apply = await cli(['apply', '-f', file])
    expect(apply.code, apply.stderr).toBe(0)
    expect(apply.stdout).toContain('namespace/docker-e2e created')
    const set = await cli(['kv', 'set', 'docker-e2e', 'greeting', 'hello from docker'])
    expect(set.code, set.stderr).toBe(0)
    const get = await cli(['kv', 'get', 'docker-e2e', 'greeting'])
    expect(get.stdout).toBe('hello from docker')
    // The value is in the stack's Redis, under the namespace's scope.
    expect(docker('exec', `prism-${stack}-redis`, 'redis-cli', 'get', 'docker-e2e:greeting')).toBe('hello from docker')

    // JetStream keeps what was published for a durable group that reads from the earliest message.
    const pub = await cli(['publish', 'docker-e2e', 'orders', 'order-1'])
    expect(pub.code, pub.stderr).toBe(0)
    const consumed = await cli(['consume', 'docker-e2e', 'orders', '--group', 'billing', '--from', 'earliest', '--count', '1', '--timeout', '20s'])
    expect(consumed.code, consumed.stderr).toBe(0)
    expect(consumed.stdout.trim()).toBe('order-1')
    // The proxy's lease renewal lands moments after its table changes, not with the call that showed it serving.
    await eventually(async () => {
      const ns = JSON.parse((await cli(['namespace', 'get', 'docker-e2e', '-o', 'json'])).stdout)
      expect(ns, logsOf(`prism-${stack}-proxy`)).toMatchObject({status: {phase: 'active', servingProxies: [`${stack}-proxy`]}})
    }, 20, 250)
  }, 90_000)

  it('dev status, dev logs and -o env describe the running stack', async () => {
    const status = await cli(['dev', 'status', '--stack', stack])
    expect(status.code, status.stderr).toBe(0)
    expect(status.stdout).toContain(`Docker dev stack "${stack}": healthy`)
    expect(status.stdout).toMatch(new RegExp(`proxy\\s+prism-${stack}-proxy\\s+running\\s+healthy`))
    const env = await cli(['dev', 'status', '--stack', stack, '-o', 'env'])
    expect(env.stdout).toContain(`export PRISM_ADMIN_ENDPOINT="127.0.0.1:${8981 + offset}"`)
    const logs = await cli(['dev', 'logs', 'admin', '--stack', stack, '--tail', '20'])
    expect(logs.code, logs.stderr).toBe(0)
    expect(logs.stdout).toContain('admin | control plane listening on 0.0.0.0:8981')
    // The store's password never reaches the log.
    expect(logs.stdout).not.toContain('prism-dev@')
    const all = await cli(['dev', 'logs', '--stack', stack, '--since', '10m'])
    for (const service of ['postgres', 'redis', 'nats', 'dex', 'admin', 'proxy']) expect(all.stdout).toMatch(new RegExp(`^${service}\\s*\\| `, 'm'))
  }, 60_000)

  it('up again keeps every container (same ids) and finishes with nothing changed', async () => {
    const before = containerIds(stack)
    const up = await cli(['dev', 'up', ...upFlags, '--json'])
    expect(up.code, up.stderr).toBe(0)
    expect(Object.values(JSON.parse(up.stdout).actions)).toEqual(['kept', 'kept', 'kept', 'kept', 'kept', 'kept'])
    expect(containerIds(stack)).toEqual(before)
    // Without --json: progress lines per service on stderr (no terminal here), the end screen on stdout.
    const plain = await cli(['dev', 'up', ...upFlags])
    expect(plain.stderr).toContain('proxy: healthy (unchanged)')
    expect(plain.stdout).toContain(`The Docker dev stack "${stack}" was already up; nothing changed.`)
    expect(plain.stdout).toMatch(/admin@local\.prism\s+prism-admin\s+admin/)
    expect(plain.stdout).toContain('Next:')
  }, 120_000)

  it('a changed setting replaces only that service', async () => {
    const before = containerIds(stack)
    // The same image under another name is a different setting of the redis service.
    const retagged = `local/prism-test-redis-alias:${process.pid}`
    docker('tag', images.redis, retagged)
    const up = await cli(['dev', 'up', ...upFlags, '--image', `redis=${retagged}`, '--json'])
    expect(up.code, up.stderr).toBe(0)
    expect(JSON.parse(up.stdout).actions).toMatchObject({redis: 'replaced', postgres: 'kept', nats: 'kept', dex: 'kept', admin: 'kept', proxy: 'kept'})
    const after = containerIds(stack)
    expect(after.redis).not.toBe(before.redis)
    for (const s of ['postgres', 'nats', 'dex', 'admin', 'proxy']) expect(after[s]).toBe(before[s])
    // Back to the original setting, for the tests that follow.
    const back = await cli(['dev', 'up', ...upFlags, '--json'])
    expect(JSON.parse(back.stdout).actions.redis).toBe('replaced')
    docker('rmi', retagged)
  }, 180_000)

  it('a killed container shows in dev status, and dev up heals it', async () => {
    const before = containerIds(stack)
    docker('kill', `prism-${stack}-nats`)
    const status = await cli(['dev', 'status', '--stack', stack, '-o', 'json'])
    expect(status.code).toBe(1)
    expect(JSON.parse(status.stdout).containers.find((c: {service: string}) => c.service === 'nats')).toMatchObject({state: 'exited'})
    const up = await cli(['dev', 'up', ...upFlags, '--json'])
    expect(up.code, up.stderr).toBe(0)
    expect(JSON.parse(up.stdout)).toMatchObject({healthy: true, actions: {nats: 'started'}})
    expect(containerIds(stack).nats).toBe(before.nats)
  }, 120_000)

  it('dev reset wipes the data (containers and volumes) and starts again from nothing', async () => {
    const before = containerIds(stack)
    const reset = await cli(['dev', 'reset', ...upFlags, '--json'])
    expect(reset.code, reset.stderr).toBe(0)
    const result = JSON.parse(reset.stdout)
    expect(Object.values(result.actions)).toEqual(['created', 'created', 'created', 'created', 'created', 'created'])
    expect(result.bootstrap).toContain('backend redis-dev registered')
    expect(containerIds(stack).postgres).not.toBe(before.postgres)
    // The namespace lived in the stack's PostgreSQL volume: gone.
    const ns = await cli(['namespace', 'get', 'docker-e2e'])
    expect(ns.code).toBe(1)
    expect(ns.stderr).toContain('namespace "docker-e2e" not found')
  }, 180_000)

  it('images: --pull never refuses a missing one, --pull missing says why it cannot be pulled', async () => {
    const missing = 'local/prism-no-such-image:1'
    const never = await cli(['dev', 'up', '--stack', `${stack}c`, '--services', 'redis', '--image', `redis=${missing}`, '--pull', 'never', '--base-image', images.node])
    expect(never.code).toBe(1)
    expect(never.stderr).toContain(`the image ${missing} is not present and --pull never forbids pulling it`)
    const pull = await cli(['dev', 'up', '--stack', `${stack}c`, '--services', 'redis', '--image', `redis=${missing}`, '--pull', 'missing', '--base-image', images.node])
    expect(pull.code).toBe(1)
    expect(pull.stderr).toContain(`${missing}: pulling`)
    expect(pull.stderr).toContain(`Error: cannot pull ${missing}:`)
    expect(labelled('ps', `${stack}c`)).toEqual([])
  }, 60_000)

  it('a busy port is named before anything starts: a container of another stack, or a host process', async () => {
    const second = `${stack}b`
    const clash = await cli(['dev', 'up', ...flagsFor(second, offset)])
    expect(clash.code).toBe(1)
    expect(clash.stderr).toContain(`port ${5556 + offset} (dex) is in use by the container prism-${stack}-dex (dev stack "${stack}")`)
    expect(labelled('ps', second)).toEqual([])

    const otherOffset = await freeOffset(offset + 500)
    const server: Server = createServer()
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(8981 + otherOffset, '127.0.0.1', resolve))
    try {
      const busy = await cli(['dev', 'up', ...flagsFor(second, otherOffset)])
      expect(busy.code).toBe(1)
      expect(busy.stderr).toMatch(new RegExp(`port ${8981 + otherOffset} \\(admin\\) is in use by pid ${process.pid} \\(`))
      expect(labelled('ps', second)).toEqual([])
    } finally {
      server.close()
    }
  }, 60_000)

  it('a service that never gets healthy fails within --timeout, naming it with its logs and last health check', async () => {
    const third = `${stack}c`
    // Runs, logs, but never answers its health check (no redis-cli, nothing listening).
    const sleeper = `local/prism-test-sleeper:${process.pid}`
    execFileSync('docker', ['build', '-q', '-t', sleeper, '-'], {input: `FROM ${images.busybox}\nENTRYPOINT ["sh", "-c", "echo pretending to be redis; exec sleep 600", "--"]\n`, stdio: ['pipe', 'ignore', 'ignore']})
    try {
      const otherOffset = await freeOffset(offset + 1000)
      const up = await cli(['dev', 'up', '--stack', third, '--port-offset', `${otherOffset}`, '--services', 'redis', '--image', `redis=${sleeper}`, '--pull', 'never', '--base-image', images.node, '--timeout', '4s'])
      expect(up.code).toBe(1)
      expect(up.stderr).toContain('Error: redis did not get healthy within 4 s (--timeout)')
      expect(up.stderr).toContain('pretending to be redis')
      expect(up.stderr).toMatch(/last health check: exit 1/)
      // What started stays up for dev logs.
      const logs = await cli(['dev', 'logs', '--stack', third])
      expect(logs.stdout).toContain('redis | pretending to be redis')
    } finally {
      await cli(['dev', 'down', '--stack', third, '--volumes'])
      docker('rmi', '-f', sleeper)
    }
  }, 90_000)

  it('a dependency that never gets healthy is the one named, not the service waiting for it', async () => {
    const fourth = `${stack}d`
    // PostgreSQL that never listens: admin, which needs it, waits for its store and never serves either.
    const sleeper = `local/prism-test-sleeper-pg:${process.pid}`
    execFileSync('docker', ['build', '-q', '-t', sleeper, '-'], {input: `FROM ${images.busybox}\nENTRYPOINT ["sh", "-c", "echo pretending to be postgres; exec sleep 600", "--"]\n`, stdio: ['pipe', 'ignore', 'ignore']})
    try {
      const otherOffset = await freeOffset(offset + 1500)
      const flags = flagsFor(fourth, otherOffset).filter((f, i, all) => !['--without', '--timeout'].includes(f) && !['--without', '--timeout'].includes(all[i - 1]!))
      const up = await cli(['dev', 'up', ...flags, '--services', 'postgres,dex,admin', '--image', `postgres=${sleeper}`, '--timeout', '8s'])
      expect(up.code).toBe(1)
      // Whichever wait reaches the bound first, postgres is the one named.
      expect(up.stderr).toMatch(/^Error: postgres (is not healthy, and admin, which needs it, )?did not get healthy within 8 s/m)
      expect(up.stderr).toContain('pretending to be postgres')
      // Our own last run of its check (Docker's first comes only after its 10 s interval).
      expect(up.stderr).toMatch(/last health check: exit \d+/)
      expect(up.stderr).not.toMatch(/^Error: admin/m)
    } finally {
      await cli(['dev', 'down', '--stack', fourth, '--volumes'])
      docker('rmi', '-f', sleeper)
    }
  }, 90_000)

  it('down leaves no labelled container or network and keeps the volumes; --volumes removes them', async () => {
    const down = await cli(['dev', 'down', '--stack', stack])
    expect(down.code, down.stderr).toBe(0)
    expect(down.stdout).toContain(`Removed the Docker dev stack "${stack}": 6 containers, 1 network, 0 volumes; kept the volumes prism-${stack}-nats, prism-${stack}-postgres`)
    expect(labelled('ps', stack)).toEqual([])
    expect(labelled('network', stack)).toEqual([])
    expect(labelled('volume', stack)).toHaveLength(2)
    const status = await cli(['dev', 'status', '--stack', stack])
    expect(status.code).toBe(1)
    expect(status.stdout).toContain(`The dev stack "${stack}" has no containers.\nStart it with: prismctl dev up (or without Docker: prismctl dev up --embedded)`)
    const wipe = await cli(['dev', 'down', '--stack', stack, '--volumes'])
    expect(wipe.stdout).toContain('0 containers, 0 networks, 2 volumes')
    expect(labelled('volume', stack)).toEqual([])
  }, 60_000)
})
