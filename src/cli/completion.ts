/**
 * Shell completion scripts for bash, zsh and fish, written from the command list oclif already has (the manifest):
 * commands and topics, each command's flags, and the choices of flags that have them. The scripts are static, so
 * pressing Tab never starts prismctl.
 */
export const SHELLS = ['bash', 'zsh', 'fish'] as const
export type Shell = (typeof SHELLS)[number]

export interface CompletionFlag {
  name: string
  char?: string
  aliases?: string[]
  /** Takes a value (an option), as opposed to a boolean switch. */
  takesValue: boolean
  options?: readonly string[]
  description?: string
}

export interface CompletionCommand {
  /** oclif's id, words joined by ':', e.g. namespace:apply. */
  id: string
  summary?: string
  flags: CompletionFlag[]
  /** The choices of its first argument, when it has a fixed set (`completion bash|zsh|fish`). */
  argOptions?: readonly string[]
}

export interface CompletionInput {
  bin: string
  commands: CompletionCommand[]
  /** Topic descriptions, by id. */
  topics: Record<string, string | undefined>
  /** Extra first words that stand for a topic, e.g. ns → namespace. */
  topicAliases: Record<string, string>
}

/** The commands, plus each topic alias's copy of its topic's commands (ns:list for namespace:list). */
function withAliases(input: CompletionInput): CompletionCommand[] {
  const out = [...input.commands]
  for (const [alias, topic] of Object.entries(input.topicAliases)) {
    for (const cmd of input.commands) if (cmd.id.startsWith(`${topic}:`)) out.push({...cmd, id: `${alias}${cmd.id.slice(topic.length)}`})
  }
  return out
}

/** The words that may follow each command path (the root is ''), with what they are. */
function tree(input: CompletionInput, commands: CompletionCommand[]): Map<string, {word: string; description?: string}[]> {
  const children = new Map<string, {word: string; description?: string}[]>()
  const topic = (id: string) => input.topics[id] ?? input.topics[input.topicAliases[id] ?? '']
  for (const cmd of commands) {
    const words = cmd.id.split(':')
    words.forEach((word, i) => {
      const parent = words.slice(0, i).join(':')
      const list = children.get(parent) ?? []
      if (!list.some((c) => c.word === word)) list.push({word, description: i === words.length - 1 ? cmd.summary : topic(words.slice(0, i + 1).join(':'))})
      children.set(parent, list)
    })
  }
  return children
}

/** Every path that names a topic or a command, for the scripts' "is this word still part of the command?" test. */
function knownPaths(children: Map<string, unknown>, commands: CompletionCommand[]): string[] {
  return [...new Set([...[...children.keys()].filter(Boolean), ...commands.map((c) => c.id)])].sort()
}

/** The flag spellings a user may type: --name, --alias, -c. */
function spellings(flag: CompletionFlag): string[] {
  return [`--${flag.name}`, ...(flag.aliases ?? []).map((a) => `--${a}`), ...(flag.char ? [`-${flag.char}`] : [])]
}

const bashWords = (words: string[]) => words.join(' ').replaceAll("'", '')

function bash(input: CompletionInput): string {
  const commands = withAliases(input)
  const children = tree(input, commands)
  const fn = `_${input.bin.replace(/\W/g, '_')}`
  const known = knownPaths(children, commands)
  const cases: string[] = []
  for (const [path, list] of children) cases.push(`    '${path}') words='${bashWords(list.map((c) => c.word))}' ;;`)
  for (const cmd of commands) {
    cases.push(`    '${cmd.id}') words='${bashWords([...(cmd.argOptions ?? []), ...cmd.flags.flatMap(spellings)])}' ;;`)
  }
  const values: string[] = []
  for (const cmd of commands) {
    const withValue = cmd.flags.filter((f) => f.takesValue)
    for (const flag of withValue.filter((f) => f.options?.length)) {
      const pattern = spellings(flag).map((s) => `'${cmd.id} ${s}'`).join('|')
      values.push(`    ${pattern}) COMPREPLY=($(compgen -W '${bashWords([...flag.options!])}' -- "$cur")); return ;;`)
    }
    // Free values (a file, a name, a duration): no suggestion from us, so bash offers file names.
    const free = withValue.filter((f) => !f.options?.length).flatMap(spellings)
    if (free.length) values.push(`    ${free.map((s) => `'${cmd.id} ${s}'`).join('|')}) return ;;`)
  }
  return `# ${input.bin} completion for bash. Load it with:  source <(${input.bin} completion bash)
${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} path='' next w i words=''
  local known=' ${known.join(' ')} '
  # The command path: the leading words that name a topic or a command.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    next=\${path:+$path:}$w
    [[ $known == *" $next "* ]] || break
    path=$next
  done
  # A flag that takes a value: its choices, or file names when it has none.
  case "$path $prev" in
${values.join('\n')}
  esac
  case "$path" in
${cases.join('\n')}
  esac
  # After a command (not a topic), a word that is not a flag is an argument: file names, unless it has choices.
  if [[ $cur != -* && -n $path && $words == -* ]]; then return; fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F ${fn} ${input.bin}
`
}

function zsh(input: CompletionInput): string {
  // zsh runs bash completion functions through bashcompinit, which ships with zsh.
  return `#compdef ${input.bin}
# ${input.bin} completion for zsh. Load it with:  source <(${input.bin} completion zsh)
autoload -U +X compinit && { (( $+functions[compdef] )) || compinit }
autoload -U +X bashcompinit && bashcompinit
${bash(input).split('\n').slice(1).join('\n')}`
}

const fishQuote = (s: string) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`

function fish(input: CompletionInput): string {
  const commands = withAliases(input)
  const children = tree(input, commands)
  const fn = `__${input.bin.replace(/\W/g, '_')}_at`
  const known = knownPaths(children, commands)
  const lines = [
    `# ${input.bin} completion for fish. Load it with:  ${input.bin} completion fish | source`,
    `set -g ${fn}_known ${known.join(' ')}`,
    '# Whether the words typed so far name exactly this command path (the root is \'\').',
    `function ${fn}`,
    '  set -l path ""',
    '  set -l words (commandline -opc)',
    '  set -e words[1]',
    '  for w in $words',
    '    set -l next $w',
    '    test -n "$path"; and set next "$path:$w"',
    `    contains -- $next $${fn}_known; or break`,
    '    set path $next',
    '  end',
    '  test "$path" = "$argv[1]"',
    'end',
    `complete -c ${input.bin} -f`,
  ]
  for (const [path, list] of children) {
    for (const c of list) lines.push(`complete -c ${input.bin} -n ${fishQuote(`${fn} '${path}'`)} -a ${fishQuote(c.word)}${c.description ? ` -d ${fishQuote(c.description)}` : ''}`)
  }
  for (const cmd of commands) {
    if (cmd.argOptions?.length) lines.push(`complete -c ${input.bin} -n ${fishQuote(`${fn} ${cmd.id}`)} -a ${fishQuote(cmd.argOptions.join(' '))}`)
    for (const flag of cmd.flags) {
      const value = flag.takesValue ? (flag.options?.length ? ` -x -a ${fishQuote(flag.options.join(' '))}` : ' -r -F') : ''
      const names = [`-l ${flag.name}`, ...(flag.aliases ?? []).map((a) => `-l ${a}`), ...(flag.char ? [`-s ${flag.char}`] : [])].join(' ')
      lines.push(`complete -c ${input.bin} -n ${fishQuote(`${fn} ${cmd.id}`)} ${names}${value}${flag.description ? ` -d ${fishQuote(flag.description)}` : ''}`)
    }
  }
  return `${lines.join('\n')}\n`
}

export function completionScript(shell: Shell, input: CompletionInput): string {
  return shell === 'bash' ? bash(input) : shell === 'zsh' ? zsh(input) : fish(input)
}
