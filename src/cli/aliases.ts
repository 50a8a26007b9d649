/**
 * What kubectl users type, rewritten before oclif sees the command line: topic names (`prismctl ns list`,
 * `prismctl backends list`; oclif has command aliases but no topic aliases), and a bare `--dry-run`.
 */
export const TOPIC_ALIASES: Readonly<Record<string, string>> = {ns: 'namespace', namespaces: 'namespace', backends: 'backend'}

export function expandTopicAlias(argv: string[]): string[] {
  const first = argv[0]
  return first !== undefined && Object.hasOwn(TOPIC_ALIASES, first) ? [TOPIC_ALIASES[first]!, ...argv.slice(1)] : argv
}

const DRY_RUN_MODES = new Set(['none', 'client', 'server'])

/** A bare `--dry-run` means `--dry-run=client`, as in kubectl (oclif has no flags with an optional value). */
export function expandBareDryRun(argv: string[]): string[] {
  const end = argv.includes('--') ? argv.indexOf('--') : argv.length
  return argv.map((arg, i) => (i < end && arg === '--dry-run' && !DRY_RUN_MODES.has(argv[i + 1] ?? '') ? '--dry-run=client' : arg))
}
