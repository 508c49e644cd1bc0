import { resolve } from 'node:path'
import { Command, Flags } from '@oclif/core'

/** The background supervisor of a project's local services; started by `pulpo up`, not by users. */
export default class Supervise extends Command {
  static hidden = true
  static summary = 'Run the local supervisor of a project (started by pulpo up)'
  static flags = { dir: Flags.string({ required: true, description: 'the project directory' }), project: Flags.string({ required: true, description: 'the project name' }) }

  async run() {
    const { flags } = await this.parse(Supervise)
    // Loaded here, not at the top: every command module is evaluated at start-up.
    const [{ StateDir }, { Supervisor }] = await Promise.all([import('../project/paths.js'), import('../backends/local/supervisor.js')])
    await new Supervisor(new StateDir(resolve(flags.dir), flags.project)).serve()
    // Serve until shut down: the server keeps the event loop alive.
    await new Promise(() => {})
  }
}
