import { configFlags, PulpoCommand } from '../base.js'

export default class Config extends PulpoCommand {
  static summary = 'Print the resolved project: environment overrides merged, ${...} interpolated, secrets masked'
  static examples = ['<%= config.bin %> config', '<%= config.bin %> config --env prod --json']
  static flags = { ...configFlags }

  async run() {
    const { flags } = await this.parse(Config)
    // Loaded here, not at the top: every command module is evaluated at start-up.
    const [{ stringify }, { loadProject }, { maskedProject }] = await Promise.all([import('yaml'), import('../config/load.js'), import('../render/project.js')])
    const view = maskedProject(loadProject({ config: flags.config, env: flags.env }))
    if (this.jsonEnabled()) return view
    this.log(stringify(view, { lineWidth: 0 }).trimEnd())
  }
}
