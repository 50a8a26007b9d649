/** What `dev up` and `dev status` print: the end screen (endpoints, test users, next commands) and env lines. */
import {renderTable} from '../ui/table.js'
import type {DockerStatus} from './docker/status.js'
import type {DockerUpResult} from './docker/up.js'
import type {StackStatus, UpResult} from './embedded/lifecycle.js'
import {TEST_USERS} from './test-users.js'

function servicesTable(status: Pick<StackStatus, 'services' | 'metricsEndpoint'>): string {
  const metrics = status.metricsEndpoint ? ` (metrics http://${status.metricsEndpoint}/metrics)` : ''
  return renderTable(
    ['SERVICE', 'ENDPOINT', 'HEALTH'],
    status.services.map((s) => [s.service, s.service === 'proxy' ? `${s.endpoint}${metrics}` : s.endpoint, s.healthy ? 'healthy' : `unhealthy${s.detail ? `: ${s.detail}` : ''}`]),
  )
}

function renderUsers(): string {
  return renderTable(
    ['USER (EMAIL)', 'PASSWORD', 'ROLE', 'GROUP'],
    TEST_USERS.map((u) => [u.email, u.password, u.role, u.group]),
  )
}

const NEXT = [
  'prismctl apply -f templates/examples/kv-memstore.yaml   # scratch-kv, on memstore-dev',
  'prismctl kv set scratch-kv greeting hello',
  'prismctl kv get scratch-kv greeting',
  'echo prism-viewer | prismctl login --username viewer@local.prism --password-stdin   # another test user',
  'prismctl login                                   # device code: approve in a browser as any test user',
  'prismctl dev status                              # again, any time (also: dev logs -f, dev down)',
]

export function renderStatus(status: StackStatus | DockerStatus): string {
  if (status.stack === 'docker') return renderDockerStatus(status)
  if (!status.running) {
    const stale = status.stale ? ' (a stale pid file was removed: the stack had stopped)' : ''
    return `The embedded dev stack is not running${stale}.\nStart it with: prismctl dev up --embedded`
  }
  return [
    `Embedded dev stack (pid ${status.pid}, since ${status.startedAt}): ${status.healthy ? 'healthy' : 'NOT healthy'}`,
    '',
    servicesTable(status),
    '',
    `Log: ${status.log}`,
    '',
    'Test users (password grant: prismctl login --username EMAIL --password-stdin):',
    renderUsers(),
  ].join('\n')
}

export function renderEndScreen(result: UpResult, options: {context: boolean}): string {
  const head = result.alreadyRunning ? 'The embedded dev stack is already running (prismctl dev status shows it; prismctl dev down stops it).' : 'The embedded dev stack is up.'
  const context = options.context
    ? `Context "${result.context}" is current${result.loggedInAs ? `; logged in as ${result.loggedInAs} (admin)` : ''}.`
    : result.loggedInAs
      ? `Logged in as ${result.loggedInAs} for context "${result.context}" (not written: --no-context).`
      : ''
  return [head, '', renderStatus(result), ...(context && !result.alreadyRunning ? ['', context] : []), '', 'Next:', ...NEXT.map((c) => `  ${c}`)].join('\n')
}

function renderDockerStatus(status: DockerStatus): string {
  if (status.containers.length === 0) return `The dev stack "${status.name}" has no containers.\nStart it with: prismctl dev up (or without Docker: prismctl dev up --embedded)`
  const containers = renderTable(
    ['SERVICE', 'CONTAINER', 'STATE', 'HEALTH', 'PUBLISHED'],
    status.containers.map((c) => [c.service, c.name, c.state, `${c.health}${c.lastProbe ? ` (${c.lastProbe.split('\n')[0]!.slice(0, 80)})` : ''}`, c.published.join(', ') || '-']),
  )
  return [
    `Docker dev stack "${status.name}": ${status.healthy ? 'healthy' : 'NOT healthy'}`,
    '',
    containers,
    ...(status.services.length > 0 ? ['', 'From this host:', servicesTable(status)] : []),
    ...(status.vaultAddress ? ['', `Vault: ${status.vaultAddress} (dev mode; root token prism-dev-root)`] : []),
    '',
    'Test users (password grant: prismctl login --username EMAIL --password-stdin):',
    renderUsers(),
  ].join('\n')
}

export function renderDockerEndScreen(result: DockerUpResult, options: {context: boolean}): string {
  const changed = Object.entries(result.actions).filter(([, a]) => a !== 'kept')
  const head = changed.length === 0 ? `The Docker dev stack "${result.name}" was already up; nothing changed.` : `The Docker dev stack "${result.name}" is up (${changed.map(([s, a]) => `${s} ${a}`).join(', ')}).`
  const context = options.context ? `Context "${result.context}" is current${result.loggedInAs ? `; logged in as ${result.loggedInAs} (admin)` : ''}.` : ''
  return [head, '', renderStatus(result), ...(result.bootstrap.length > 0 ? ['', 'Bootstrap:', ...result.bootstrap.map((b) => `  ${b}`)] : []), ...(context ? ['', context] : []), '', 'Next:', ...NEXT.map((c) => `  ${c}`)].join('\n')
}

/** `export PRISM_…=` lines, for eval "$(prismctl dev status -o env)". */
export function renderEnv(status: StackStatus | DockerStatus): string {
  if (!status.running) return ''
  const vars: Record<string, string | undefined> = {
    PRISM_ADMIN_ENDPOINT: status.adminEndpoint,
    PRISM_PROXY_ENDPOINT: status.proxyEndpoint,
    PRISM_ISSUER: status.issuer,
    ...(status.stack === 'docker' ? {VAULT_ADDR: status.vaultAddress} : {}),
  }
  return Object.entries(vars)
    .filter(([, v]) => v)
    .map(([k, v]) => `export ${k}=${JSON.stringify(v)}`)
    .join('\n')
}
