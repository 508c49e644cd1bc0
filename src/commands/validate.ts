import chalk from 'chalk'
import { configFlags, PulpoCommand } from '../base.js'
import { capProblems, problemJson, renderNotes, renderProblems } from '../render/problems.js'
import { count } from '../util/plural.js'

export default class Validate extends PulpoCommand {
  static summary = 'Check pulpo.yaml: YAML, schema and semantic checks, every problem at once'
  static examples = ['<%= config.bin %> validate', '<%= config.bin %> validate --env prod --json']
  static flags = { ...configFlags }

  async run() {
    const { flags } = await this.parse(Validate)
    // Loaded here, not at the top: every command module is evaluated at start-up.
    const { validateConfig } = await import('../config/load.js')
    const v = validateConfig({ config: flags.config, env: flags.env })
    if (v.problems.length) process.exitCode = 1
    if (this.jsonEnabled()) {
      const { shown, more } = capProblems(v.problems)
      return { valid: v.problems.length === 0, file: v.source.file, environment: v.envName, errors: shown.map(problemJson), errors_total: v.problems.length, errors_not_shown: more, warnings: v.notes.map(problemJson) }
    }
    if (v.notes.length) process.stderr.write(renderNotes(v.notes) + '\n')
    if (v.problems.length) {
      process.stderr.write(renderProblems(v.problems) + '\n')
      return
    }
    const p = v.project!
    this.log(`${chalk.green('✔')} ${v.source.file} is valid ${chalk.dim(`(environment ${p.environment}, ${p.mode} mode, ${count(Object.keys(p.services).length, 'service')}, ${count(Object.keys(p.operations).length, 'operation')})`)}`)
  }
}
