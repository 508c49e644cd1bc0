import { stringify } from 'yaml'
import { configFlags, PulpoCommand } from '../base.js'
import { loadProject } from '../config/load.js'
import { maskedProject } from '../render/project.js'

export default class Config extends PulpoCommand {
  static summary = 'Print the resolved project: environment overrides merged, ${...} interpolated, secrets masked'
  static examples = ['<%= config.bin %> config', '<%= config.bin %> config --env prod --json']
  static flags = { ...configFlags }

  async run() {
    const { flags } = await this.parse(Config)
    const view = maskedProject(loadProject({ config: flags.config, env: flags.env }))
    if (this.jsonEnabled()) return view
    this.log(stringify(view, { lineWidth: 0 }).trimEnd())
  }
}
