import { configFlags, projectFlag, PulpoCommand } from '../base.js'

export default class Status extends PulpoCommand {
  static summary = 'Every service, desired vs actual: health, pid, ports, uptime, restarts and the pending action'
  static examples = ['<%= config.bin %> status', '<%= config.bin %> status --json', '<%= config.bin %> status -p jobs']
  static flags = { ...configFlags, ...projectFlag }

  async run() {
    const { flags } = await this.parse(Status)
    // Loaded here, not at the top: every command module is evaluated at start-up.
    const { runStatus } = await import('../app/status.js')
    return runStatus(flags, { json: this.jsonEnabled(), log: (s) => this.log(s), logToStderr: (s) => this.logToStderr(s) })
  }
}
