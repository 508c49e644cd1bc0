import { configFlags, PulpoCommand } from '../base.js'

export default class Validate extends PulpoCommand {
  static summary = 'Check pulpo.yaml: YAML, schema and semantic checks, every problem at once'
  static examples = ['<%= config.bin %> validate', '<%= config.bin %> validate --env prod --json']
  static flags = { ...configFlags }

  async run() {
    const { flags } = await this.parse(Validate)
    // Loaded here, not at the top: every command module is evaluated at start-up.
    const { runValidate } = await import('../app/validate.js')
    return runValidate(flags, { json: this.jsonEnabled(), log: (s) => this.log(s), logToStderr: (s) => this.logToStderr(s) })
  }
}
