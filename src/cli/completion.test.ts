import {describe, expect, it} from 'vitest'

import {expandTopicAlias} from './aliases.js'
import {commandSuggestion} from './command-not-found.js'
import {completionScript, type CompletionInput} from './completion.js'

const input: CompletionInput = {
  bin: 'prismctl',
  commands: [
    {id: 'namespace:get', summary: 'Show one', flags: [{name: 'output', char: 'o', takesValue: true, options: ['table', 'json']}, {name: 'debug', takesValue: false}]},
    {id: 'apply', summary: "Apply it's files", flags: [{name: 'file', char: 'f', aliases: ['filename'], takesValue: true}]},
    {id: 'completion', flags: [], argOptions: ['bash', 'zsh', 'fish']},
  ],
  topics: {namespace: 'Namespaces'},
  topicAliases: {ns: 'namespace'},
}

describe('completionScript', () => {
  it('bash: every command path, topic aliases included, flag spellings and flag choices', () => {
    const bash = completionScript('bash', input)
    expect(bash).toContain("local known=' apply completion namespace namespace:get ns ns:get '")
    expect(bash).toContain("    '') words='namespace apply completion ns' ;;")
    expect(bash).toContain("    'ns:get') words='--output -o --debug' ;;")
    expect(bash).toContain("    'completion') words='bash zsh fish' ;;")
    expect(bash).toContain(`    'namespace:get --output'|'namespace:get -o') COMPREPLY=($(compgen -W 'table json' -- "$cur")); return ;;`)
    // A free value (a file): nothing from us, so bash's default file completion applies.
    expect(bash).toContain("    'apply --file'|'apply --filename'|'apply -f') return ;;")
    expect(bash).toMatch(/complete -o default -F _prismctl prismctl\n$/)
  })

  it('zsh runs the bash function through bashcompinit; fish has one condition per command path, quoted', () => {
    const zsh = completionScript('zsh', input)
    expect(zsh.split('\n').slice(0, 4)).toEqual(['#compdef prismctl', expect.stringContaining('completion zsh'), expect.stringContaining('compinit'), 'autoload -U +X bashcompinit && bashcompinit'])
    expect(zsh).toContain('_prismctl() {')
    const fish = completionScript('fish', input)
    expect(fish).toContain("complete -c prismctl -n '__prismctl_at \\'\\'' -a 'apply' -d 'Apply it\\'s files'")
    expect(fish).toContain("complete -c prismctl -n '__prismctl_at \\'ns\\'' -a 'get' -d 'Show one'")
    expect(fish).toContain("complete -c prismctl -n '__prismctl_at ns:get' -l output -s o -x -a 'table json'")
    expect(fish).toContain("complete -c prismctl -n '__prismctl_at apply' -l file -l filename -s f -r -F")
    expect(fish).toContain("complete -c prismctl -n '__prismctl_at completion' -a 'bash zsh fish'")
  })
})

describe('topic aliases and command suggestions', () => {
  it('rewrites only a first word that is an alias', () => {
    expect(expandTopicAlias(['ns', 'list', 'ns'])).toEqual(['namespace', 'list', 'ns'])
    expect(expandTopicAlias(['backends', 'get'])).toEqual(['backend', 'get'])
    expect(expandTopicAlias(['apply', 'ns'])).toEqual(['apply', 'ns'])
    expect(expandTopicAlias(['constructor'])).toEqual(['constructor'])
    expect(expandTopicAlias([])).toEqual([])
  })

  it('suggests among what may follow the words before the unknown one', () => {
    const config = {commandIDs: ['namespace:list', 'namespace:get', 'apply', 'backend:list'], topics: [{name: 'namespace'}, {name: 'backend'}]}
    expect(commandSuggestion(config, ['namespce'])).toBe('; did you mean "namespace"?')
    expect(commandSuggestion(config, ['namespace', 'lst'])).toBe('; did you mean "namespace list"?')
    expect(commandSuggestion(config, ['backend', 'gte'])).toBe('')
    expect(commandSuggestion(config, ['zzzzzz'])).toBe('')
  })
})
