import chalk from 'chalk'
import { configFlags, projectFlag, PulpoCommand } from '../base.js'

export default class Status extends PulpoCommand {
  static summary = 'Every service, desired vs actual: health, pid, ports, uptime, restarts and the pending action'
  static examples = ['<%= config.bin %> status', '<%= config.bin %> status --json', '<%= config.bin %> status -p jobs']
  static flags = { ...configFlags, ...projectFlag }

  async run() {
    const { flags } = await this.parse(Status)
    // Loaded here, not at the top: every command module is evaluated at start-up.
    const [{ backendFor }, { planFor }, { failing, renderDatabases, renderPostgres, renderStatus, statusRows }, { recordedPlan }] = await Promise.all([import('../app/backends.js'), import('../app/plan.js'), import('../render/status.js'), import('../app/target.js')])
    const target = await this.loadTarget(flags, 'status')
    const { project } = target
    // From the record alone there is no desired state to compare with: what runs is shown as it is.
    const backend = await backendFor(project)
    const observed = project.fromRecord ? { ...(await backend.observe(project)), servers: [], postgres: [], plan: recordedPlan(project) } : await planFor(project, backend)
    const { plan, actual, servers, postgres } = observed
    const notes = [...target.notes, ...observed.notes]
    // Jobs: what something waits for to complete; one that exited 0 is done, not down.
    const jobs = new Set(Object.values(project.services).flatMap((s) => Object.entries(s.dependsOn).filter(([, d]) => d.condition === 'completed').map(([n]) => n)))
    const rows = statusRows(Object.keys(project.services), actual, plan, Date.now(), jobs)
    const datamodels = plan.datamodels
    if (this.jsonEnabled()) return { project: project.name, environment: project.environment, mode: project.mode, ...(project.fromRecord ? { recorded: true } : {}), services: rows, servers, datamodels, ...(postgres.length ? { postgres, databases: plan.databases } : {}), notes }
    const pending = plan.summary.create + plan.summary.update + plan.summary.delete
    const bad = failing(rows)
    const state = [...(project.fromRecord ? [chalk.yellow('from the record (the file is not used)')] : []), ...(pending ? [chalk.yellow(`${pending} pending change${pending === 1 ? '' : 's'}: run pulpo up`)] : []), ...(bad.length ? [chalk.red(`failing: ${bad.join(', ')}`)] : [])]
    const header = `${chalk.bold(project.name)} (${project.environment}, ${project.mode})  ${state.length ? state.join('; ') : chalk.green('in sync')}`
    this.log(renderStatus(rows, header, project.mode === 'docker'))
    if (servers.length) this.log('\n' + renderDatabases(servers, datamodels))
    if (postgres.length) this.log('\n' + renderPostgres(postgres, plan.databases))
    for (const n of observed.notes) this.log(chalk.yellow(`note: ${n}`))
  }
}
