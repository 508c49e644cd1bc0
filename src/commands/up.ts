import { Args, Flags } from '@oclif/core'
import { configFlags, PulpoCommand } from '../base.js'

export default class Up extends PulpoCommand {
  static summary = 'Start the services: apply only the difference, in dependency order, waiting until ready'
  static description = 'Services not running are started; changed services are restarted (and dependents that opted in with restart: true); services gone from pulpo.yaml are stopped. Returns when everything it started is ready.'
  static examples = ['<%= config.bin %> up', '<%= config.bin %> up api', '<%= config.bin %> up --env prod']
  static strict = false
  static args = { services: Args.string({ description: 'services to start, with what they depend on (default: all)' }) }
  static flags = {
    ...configFlags,
    'prune-indexes': Flags.boolean({ description: 'drop indexes that are in the database but not in pulpo.yaml' }),
  }

  async run() {
    const { flags, argv } = await this.parse(Up)
    // Loaded here, not at the top: every command module is evaluated at start-up.
    const { runUp } = await import('../app/up.js')
    return runUp(flags, { services: argv as string[], pruneIndexes: flags['prune-indexes'] }, { json: this.jsonEnabled(), log: (s) => this.log(s), logToStderr: (s) => this.logToStderr(s) })
  }
}
