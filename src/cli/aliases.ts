/**
 * The topic names kubectl users type (`prismctl ns list`, `prismctl backends list`). oclif has command aliases but
 * no topic aliases, so the first word of the command line is rewritten before oclif sees it.
 */
export const TOPIC_ALIASES: Readonly<Record<string, string>> = {ns: 'namespace', namespaces: 'namespace', backends: 'backend'}

export function expandTopicAlias(argv: string[]): string[] {
  const first = argv[0]
  return first !== undefined && Object.hasOwn(TOPIC_ALIASES, first) ? [TOPIC_ALIASES[first]!, ...argv.slice(1)] : argv
}
