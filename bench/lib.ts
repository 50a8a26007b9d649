/** Small measurement helpers shared by the benchmarks. Every figure is reported next to a baseline from the same run. */
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const CLI = fileURLToPath(new URL('../bin/run.js', import.meta.url))

/** The environment spawned Node processes get: without NODE_EXTRA_CA_CERTS, which costs ~75 ms per start here. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', ...extra}
  delete env.NODE_EXTRA_CA_CERTS
  return env
}

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

export const median = (samples: number[]) => percentile(samples, 50)

export function fmtMs(ms: number): string {
  return ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(2)} ms`
}

export function ratio(value: number, baseline: number): string {
  return `${(value / baseline).toFixed(2)}×`
}

/**
 * Wall time of whole processes. Variants run interleaved (a, b, c, a, b, c, …) so that machine noise hits all of
 * them alike; the first round is a warm-up for the file cache. A variant is node's argv, or {command, argv} for
 * another program (kubectl, as a second baseline).
 */
export function timeProcesses(variants: Record<string, string[] | {command: string; argv: string[]}>, rounds: number, env: NodeJS.ProcessEnv): Record<string, number[]> {
  const out: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]))
  for (let round = 0; round <= rounds; round++) {
    for (const [name, variant] of Object.entries(variants)) {
      const {command, argv} = Array.isArray(variant) ? {command: process.execPath, argv: variant} : variant
      const start = process.hrtime.bigint()
      const result = spawnSync(command, argv, {env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe']})
      const ms = Number(process.hrtime.bigint() - start) / 1e6
      if (result.status !== 0) throw new Error(`${name}: exit ${result.status}: ${result.stderr.toString().slice(0, 500)}`)
      if (round > 0) out[name]!.push(ms)
    }
  }
  return out
}

export interface Row {
  name: string
  value: string
  baseline: string
  ratio: string
  target?: string
}

export function printTable(title: string, rows: Row[]): void {
  console.log(`\n## ${title}\n`)
  console.log('| measurement | value | baseline | ratio | target |')
  console.log('|---|---|---|---|---|')
  for (const r of rows) console.log(`| ${r.name} | ${r.value} | ${r.baseline} | ${r.ratio} | ${r.target ?? ''} |`)
}

/** Wall time of one `prismctl ARGV…` run that must succeed (its stderr in the error otherwise). */
export function timed(argv: string[], env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint()
  const result = spawnSync(process.execPath, [CLI, ...argv], {env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe']})
  if (result.status !== 0) throw new Error(`${argv.join(' ')}: exit ${result.status}: ${result.stderr.toString().slice(0, 1500)}`)
  return Number(process.hrtime.bigint() - start) / 1e6
}
