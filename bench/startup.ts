/**
 * Process start-to-exit wall time of CLI invocations, each as a ratio to `node -e 0` measured in the same run,
 * both without NODE_EXTRA_CA_CERTS.
 */
import {fmtMs, median, percentile, ratio, timeProcesses, type Row} from './lib.js'

export interface StartupOptions {
  rounds: number
  env: NodeJS.ProcessEnv
  /** Extra invocations, e.g. one that needs a running control plane. */
  extra?: Record<string, {argv: string[]; target?: string}>
}

export function benchStartup({rounds, env, extra = {}}: StartupOptions): Row[] {
  const variants: Record<string, {argv: string[]; target?: string}> = {
    'node -e 0': {argv: ['-e', '0']},
    'prismctl --version': {argv: ['bin/run.js', '--version'], target: '≤ 2.5×'},
    'prismctl --help': {argv: ['bin/run.js', '--help']},
    'prismctl namespace validate -f templates/examples/orders-pipeline.yaml': {
      argv: ['bin/run.js', 'namespace', 'validate', '-f', 'templates/examples/orders-pipeline.yaml'],
      target: '≤ 3×',
    },
    'prismctl validate -f templates/examples/team-alpha.yaml (4 documents)': {
      argv: ['bin/run.js', 'validate', '-f', 'templates/examples/team-alpha.yaml'],
    },
    ...extra,
  }
  const times = timeProcesses(Object.fromEntries(Object.entries(variants).map(([k, v]) => [k, v.argv])), rounds, env)
  const base = median(times['node -e 0']!)
  return Object.entries(variants).map(([name, v]) => {
    const t = times[name]!
    return {
      name: `${name} (median of ${t.length}, p90 ${fmtMs(percentile(t, 90))})`,
      value: fmtMs(median(t)),
      baseline: `${fmtMs(base)} (node -e 0)`,
      ratio: ratio(median(t), base),
      target: v.target,
    }
  })
}
