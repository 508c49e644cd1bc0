import { Args, Flags } from '@oclif/core'
import chalk from 'chalk'
import { configFlags, PulpoCommand } from '../base.js'

export default class PlanCommand extends PulpoCommand {
  static summary = 'Show what `pulpo up` would change: desired (pulpo.yaml) vs actual (what runs)'
  static examples = ['<%= config.bin %> plan', '<%= config.bin %> plan --json', '<%= config.bin %> plan --detailed-exitcode']
  static strict = false
  static args = { services: Args.string({ description: 'limit the plan to these services and what they depend on' }) }
  static flags = {
    ...configFlags,
    'detailed-exitcode': Flags.boolean({ description: 'exit 0 when there is nothing to do, 2 when there are changes, 1 on error' }),
    'prune-indexes': Flags.boolean({ description: 'plan to drop indexes that are in the database but not in pulpo.yaml' }),
  }

  async run() {
    const { flags, argv } = await this.parse(PlanCommand)
    // Loaded here, not at the top: every command module is evaluated at start-up.
    const [{ backendFor }, { planFor }, { planJson, renderPlan }] = await Promise.all([import('../app/backends.js'), import('../app/plan.js'), import('../render/plan.js')])
    const { project } = await this.loadTarget(flags, 'plan')
    const { plan, notes } = await planFor(project, await backendFor(project), { only: argv as string[], prune: flags['prune-indexes'] })
    const changes = plan.summary.create + plan.summary.update + plan.summary.delete + plan.resources.filter((r) => r.action !== 'noop').length
    if (flags['detailed-exitcode'] && changes) process.exitCode = 2
    if (this.jsonEnabled()) return { ...planJson(plan), notes }
    for (const n of notes) this.logToStderr(chalk.yellow(`note: ${n}`))
    this.log(renderPlan(plan))
  }
}
