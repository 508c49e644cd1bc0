import { Args } from '@oclif/core'
import { PulpoCommand } from '../base.js'
import type { CompletionCommand } from '../completion/scripts.js'

export default class Completion extends PulpoCommand {
  static summary = 'Print a shell completion script: commands, flags, service, flow and environment names'
  static description = 'bash: `source <(pulpo completion bash)` in ~/.bashrc. zsh: `source <(pulpo completion zsh)` in ~/.zshrc, after compinit. fish: `pulpo completion fish > ~/.config/fish/completions/pulpo.fish`.'
  static examples = ['<%= config.bin %> completion bash', 'source <(<%= config.bin %> completion zsh)', '<%= config.bin %> completion fish > ~/.config/fish/completions/pulpo.fish']
  static enableJsonFlag = false
  static args = { shell: Args.string({ required: true, options: ['bash', 'zsh', 'fish'], description: 'the shell: bash, zsh or fish' }) }

  async run() {
    const { args } = await this.parse(Completion)
    const [{ completionScript }, { versionLine }] = await Promise.all([import('../completion/scripts.js'), import('../version.js')])
    const commands = this.config.commands
      .filter((c) => !c.hidden && c.pluginName === this.config.name)
      .map((c) => {
        const flags = Object.entries(c.flags).filter(([, f]) => !f.hidden)
        const spell = (name: string, char?: string) => [`--${name}`, ...(char ? [`-${char}`] : [])]
        const arg = Object.entries(c.args)[0]
        const kind: CompletionCommand['args'] = arg && (/^services?$/.test(arg[0]) ? 'services' : /^flows?$/.test(arg[0]) ? 'flows' : (arg[1].options as string[] | undefined))
        return {
          id: c.id.replace(/:/g, ' '),
          flags: flags.flatMap(([name, f]) => spell(name, f.char)),
          valueFlags: flags.filter(([, f]) => f.type === 'option').flatMap(([name, f]) => spell(name, f.char)),
          ...(kind ? { args: kind } : {}),
        }
      })
    process.stdout.write(completionScript(args.shell as 'bash', commands, versionLine()))
  }
}
