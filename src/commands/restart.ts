import { Args } from '@oclif/core'
import chalk from 'chalk'
import { configFlags, PulpoCommand } from '../base.js'

export default class Restart extends PulpoCommand {
  static summary = 'Restart services in dependency order (all when none are named)'
  static strict = false
  static args = { services: Args.string({ description: 'services to restart' }) }
  static flags = { ...configFlags }

  async run() {
    const { flags, argv } = await this.parse(Restart)
    // Loaded here, not at the top: every command module is evaluated at start-up.
    const [{ applyPlan, failed, renderFailures }, { backendFor }, { planFor }, { checkServiceNames }, { mask, maskData }] = await Promise.all([import('../app/apply.js'), import('../app/backends.js'), import('../app/plan.js'), import('../project/services.js'), import('../util/mask.js')])
    const { planJson } = await import('../render/plan.js')
    const { project } = await this.loadTarget(flags, 'restart')
    const names = (argv as string[]).length ? (argv as string[]) : Object.keys(project.services)
    checkServiceNames(project, names)
    const backend = await backendFor(project)
    const json = this.jsonEnabled()
    return this.locked(project, 'restart', async (signal) => {
      const { plan } = await planFor(project, backend, { only: names, restart: names, datamodels: 'none' })
      const results = await applyPlan(project, backend, plan, { json, signal })
      if (failed(results)) process.exitCode = signal.aborted ? 130 : 1
      if (json) return maskData({ ...planJson(plan), results }, project.secrets)
      const text = renderFailures(results)
      if (text) this.logToStderr(mask(text, project.secrets))
      // Dependents that opted in (restart: true) restarted with what was named: say so.
      const along = plan.steps.filter((s) => s.action !== 'noop' && !names.includes(s.service)).map((s) => s.service)
      if (!failed(results)) this.log(`${chalk.green('✔')} restarted ${names.join(', ')}${along.length ? ` (and ${along.join(', ')}, which restart with it)` : ''}`)
    })
  }
}
