import chalk from 'chalk'
import { configFlags, PulpoCommand } from '../base.js'

export default class Status extends PulpoCommand {
  static summary = 'Every service, desired vs actual: health, pid, ports, uptime, restarts and the pending action'
  static examples = ['<%= config.bin %> status', '<%= config.bin %> status --json']
  static flags = { ...configFlags }

  async run() {
    const { flags } = await this.parse(Status)
    // Loaded here, not at the top: every command module is evaluated at start-up.
    const [{ backendFor }, { planFor }, { failing, renderDatabases, renderPostgres, renderStatus, statusRows }] = await Promise.all([import('../app/backends.js'), import('../app/plan.js'), import('../render/status.js')])
    const project = await this.loadProject(flags)
    const { plan, actual, notes, servers, postgres } = await planFor(project, backendFor(project))
    // Jobs: what something waits for to complete; one that exited 0 is done, not down.
    const jobs = new Set(Object.values(project.services).flatMap((s) => Object.entries(s.dependsOn).filter(([, d]) => d.condition === 'completed').map(([n]) => n)))
    const rows = statusRows(Object.keys(project.services), actual, plan, Date.now(), jobs)
    const datamodels = plan.datamodels
    if (this.jsonEnabled()) return { project: project.name, environment: project.environment, mode: project.mode, services: rows, servers, datamodels, ...(postgres.length ? { postgres, databases: plan.databases } : {}), notes }
    const pending = plan.summary.create + plan.summary.update + plan.summary.delete
    const bad = failing(rows)
    const state = [...(pending ? [chalk.yellow(`${pending} pending change${pending === 1 ? '' : 's'}: run pulpo up`)] : []), ...(bad.length ? [chalk.red(`failing: ${bad.join(', ')}`)] : [])]
    const header = `${chalk.bold(project.name)} (${project.environment}, ${project.mode})  ${state.length ? state.join('; ') : chalk.green('in sync')}`
    this.log(renderStatus(rows, header, project.mode === 'docker'))
    if (servers.length) this.log('\n' + renderDatabases(servers, datamodels))
    if (postgres.length) this.log('\n' + renderPostgres(postgres, plan.databases))
    for (const n of notes) this.log(chalk.yellow(`note: ${n}`))
  }
}
