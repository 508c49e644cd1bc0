import { Command, Flags } from '@oclif/core'

/**
 * The background supervisor of a project's local services; started by `pulpo up`, not by users.
 * main.ts runs it without oclif when given exactly these flags (backends/local/serve.ts); this
 * command is what answers anything else (help, a usage error).
 */
export default class Supervise extends Command {
  static hidden = true
  static summary = 'Run the local supervisor of a project (started by pulpo up)'
  static flags = { dir: Flags.string({ required: true, description: 'the project directory' }), project: Flags.string({ required: true, description: 'the project name' }) }

  async run() {
    const { flags } = await this.parse(Supervise)
    // Loaded here, not at the top: every command module is evaluated at start-up.
    const { supervise } = await import('../backends/local/serve.js')
    await supervise({ dir: flags.dir, project: flags.project })
  }
}
