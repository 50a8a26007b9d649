/**
 * oclif's command_not_found hook (package.json's oclif.hooks): an unknown command is a usage error like any other, so
 * it is reported the same way (exit 2, the JSON envelope under --json) instead of oclif's own ` ›   Error:` line, with a
 * "did you mean" when a command or topic is one typo away.
 */
import type {Hook} from '@oclif/core'

import {usageError} from '../errors.js'
import {didYouMean, quote} from '../model/suggest.js'
import {applyOutputFlags, reportError} from './output.js'

/** `; did you mean "namespace apply"?` for the last of `words` among what may follow the ones before it, or ''. */
export function commandSuggestion(config: {commandIDs: string[]; topics: {name: string}[]}, words: string[]): string {
  const parent = words.slice(0, -1).join(':')
  const prefix = parent ? `${parent}:` : ''
  const next = new Set<string>()
  for (const id of [...config.commandIDs, ...config.topics.map((t) => t.name)]) {
    if (id.startsWith(prefix)) next.add(id.slice(prefix.length).split(':')[0]!)
  }
  const word = didYouMean(words.at(-1) ?? '', next)
  return word && word.replace(/"(.*)"/, (_, w: string) => `"${[...words.slice(0, -1), w].join(' ')}"`)
}

export const commandNotFound: Hook<'command_not_found'> = async function ({config, id}) {
  applyOutputFlags()
  // oclif takes the first word as the command even when it is a flag: `prismctl --context prod namespace list`.
  if (id.startsWith('-')) {
    reportError(usageError(`expected a command before the flag ${quote(id)}`, `Flags come after the command, e.g. ${config.bin} namespace list --json. See: ${config.bin} --help`), false)
    return
  }
  // oclif joins every word before the first flag into the id (`nosuch file.yaml` is nosuch:file.yaml): the unknown
  // command ends at the first word that is not a topic, and that topic's help lists what exists.
  const words = id.split(':')
  let n = 1
  while (n < words.length && config.findTopic(words.slice(0, n).join(':'))) n++
  const topic = words.slice(0, n - 1).join(' ')
  const help = topic ? `${config.bin} ${topic} --help` : `${config.bin} --help`
  reportError(usageError(`command ${quote(words.slice(0, n).join(' '))} not found${commandSuggestion(config, words.slice(0, n))}`, `See: ${help}`), false)
}
