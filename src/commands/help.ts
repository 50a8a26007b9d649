import {Args, Help} from '@oclif/core'

import {expandTopicAlias} from '../cli/aliases.js'
import {BaseCommand} from '../cli/base-command.js'
import {commandSuggestion} from '../cli/command-not-found.js'
import {usageError} from '../errors.js'

export default class HelpCommand extends BaseCommand<typeof HelpCommand> {
  static override summary = 'Show help for prismctl, a topic or a command (the same as --help or -h)'
  static override examples = ['<%= config.bin %> help', '<%= config.bin %> help namespace', '<%= config.bin %> help namespace apply']
  static override args = {command: Args.string({description: 'Topic or command, e.g. namespace apply'})}
  static override strict = false
  static override enableJsonFlag = false

  async run() {
    const words = expandTopicAlias(this.positionals)
    const id = words.join(':')
    const command = id ? this.config.findCommand(id) : undefined
    if (id && !command && !this.config.findTopic(id)) {
      throw usageError(`no help for ${JSON.stringify(words.join(' '))}: there is no such topic or command${commandSuggestion(this.config, words)}`, `See: ${this.config.bin} help`)
    }
    const help = new Help(this.config)
    // showHelp skips the word "help" in what it is given, so the help command's own help is asked for directly.
    await (command ? help.showCommandHelp(command) : help.showHelp(id ? [id] : []))
  }
}
