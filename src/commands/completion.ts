import {Args} from '@oclif/core'

import {TOPIC_ALIASES} from '../cli/aliases.js'
import {BaseCommand} from '../cli/base-command.js'
import {completionScript, SHELLS, type CompletionCommand, type Shell} from '../cli/completion.js'

export default class Completion extends BaseCommand<typeof Completion> {
  static override summary = 'Print a shell completion script for bash, zsh or fish'
  static override description = 'Completes commands, topics, flags and the values of flags that have a fixed set of them. Load it in your shell\'s startup file.'
  static override examples = [
    'source <(<%= config.bin %> completion bash)     # in ~/.bashrc',
    'source <(<%= config.bin %> completion zsh)      # in ~/.zshrc',
    '<%= config.bin %> completion fish | source      # in ~/.config/fish/config.fish',
  ]
  static override args = {shell: Args.string({required: true, options: [...SHELLS], description: 'Shell to complete in'})}
  static override enableJsonFlag = false

  async run() {
    // From the manifest: nothing here loads another command.
    const commands: CompletionCommand[] = this.config.commands
      .filter((c) => !c.hidden)
      .map((c) => ({
        id: c.id,
        summary: c.summary ?? c.description?.split('\n')[0],
        flags: Object.values(c.flags)
          .filter((f) => !f.hidden)
          .map((f) => ({name: f.name, char: f.char, aliases: f.aliases, takesValue: f.type === 'option', options: f.type === 'option' ? f.options : undefined, description: f.summary ?? f.description})),
        argOptions: Object.values(c.args)[0]?.options,
      }))
    const topics = Object.fromEntries(this.config.topics.map((t) => [t.name, t.description]))
    process.stdout.write(completionScript(this.args.shell as Shell, {bin: this.config.bin, commands, topics, topicAliases: TOPIC_ALIASES}))
  }
}
