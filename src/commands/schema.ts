import { PulpoCommand } from '../base.js'

export default class Schema extends PulpoCommand {
  static summary = "Print pulpo.yaml's JSON schema (for editors: `pulpo schema > pulpo.schema.json`)"
  static examples = ['<%= config.bin %> schema > pulpo.schema.json']
  static enableJsonFlag = false

  async run() {
    // Loaded here, not at the top: every command module is evaluated at start-up.
    const { schemaText } = await import('../config/schema-file.js')
    process.stdout.write(schemaText())
  }
}
