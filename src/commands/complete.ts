import { Args, Flags } from '@oclif/core'
import { PulpoCommand } from '../base.js'

/** Called by the completion scripts (`pulpo completion SHELL`), not by people: hidden. */
export default class Complete extends PulpoCommand {
  static summary = 'Print the names the shell completion offers: services, flows or environments'
  static hidden = true
  static enableJsonFlag = false
  static args = { kind: Args.string({ required: true, options: ['services', 'flows', 'environments'] }) }
  static flags = { config: Flags.string({ char: 'c' }) }

  async run() {
    const { args, flags } = await this.parse(Complete)
    const { completionNames } = await import('../completion/names.js')
    const names = completionNames(args.kind as 'services', flags.config)
    if (names.length) process.stdout.write(names.join('\n') + '\n')
  }

  // Silent on any failure: the output lands in the middle of someone's command line.
  async catch(): Promise<void> {
    process.exitCode = 1
  }
}
