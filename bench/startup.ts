/**
 * Process start-to-exit wall time of CLI invocations, each as a ratio to `node -e 0` measured in the same run,
 * both without NODE_EXTRA_CA_CERTS; and, when kubectl is installed, to `kubectl version --client` too (what our
 * users compare us with).
 */
import {spawnSync} from 'node:child_process'

import {fmtMs, median, percentile, ratio, timeProcesses, type Row} from './lib.js'

export interface StartupOptions {
  rounds: number
  env: NodeJS.ProcessEnv
  /** Extra invocations, e.g. one that needs a running control plane. */
  extra?: Record<string, {argv: string[]; target?: string}>
}

const KUBECTL = 'kubectl version --client'

function hasKubectl(env: NodeJS.ProcessEnv): boolean {
  return spawnSync('kubectl', ['version', '--client'], {env, stdio: 'ignore'}).status === 0
}

export function benchStartup({rounds, env, extra = {}}: StartupOptions): Row[] {
  const variants: Record<string, {argv: string[]; target?: string}> = {
    'node -e 0': {argv: ['-e', '0']},
    'prismctl --version': {argv: ['bin/run.js', '--version'], target: '≤ 2.5×'},
    'prismctl --help': {argv: ['bin/run.js', '--help']},
    'prismctl namespace validate -f templates/examples/orders-pipeline.yaml': {
      argv: ['bin/run.js', 'namespace', 'validate', '-f', 'templates/examples/orders-pipeline.yaml'],
      target: '≤ 3×, ≤ kubectl',
    },
    'prismctl validate -f templates/examples/team-alpha.yaml (4 documents)': {
      argv: ['bin/run.js', 'validate', '-f', 'templates/examples/team-alpha.yaml'],
      target: '≤ 3×, ≤ kubectl',
    },
    ...extra,
  }
  const kubectl = hasKubectl(env)
  const times = timeProcesses(
    {...Object.fromEntries(Object.entries(variants).map(([k, v]) => [k, v.argv])), ...(kubectl ? {[KUBECTL]: {command: 'kubectl', argv: ['version', '--client']}} : {})},
    rounds,
    env,
  )
  const base = median(times['node -e 0']!)
  const kube = kubectl ? median(times[KUBECTL]!) : undefined
  const row = (name: string, t: number[], target?: string): Row => ({
    name: `${name} (median of ${t.length}, p90 ${fmtMs(percentile(t, 90))})`,
    value: fmtMs(median(t)),
    baseline: `${fmtMs(base)} (node -e 0)${kube === undefined ? '' : `; ${fmtMs(kube)} (kubectl)`}`,
    ratio: `${ratio(median(t), base)}${kube === undefined ? '' : `; ${ratio(median(t), kube)} of kubectl`}`,
    target,
  })
  return [
    ...Object.entries(variants).map(([name, v]) => row(name, times[name]!, v.target)),
    ...(kubectl ? [row(KUBECTL, times[KUBECTL]!)] : []),
  ]
}
