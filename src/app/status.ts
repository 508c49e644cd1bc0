import chalk from 'chalk'
import type { CommandOutput } from './output.js'
import type { TargetFlags } from './target.js'

/**
 * `pulpo status`: every service, desired vs actual. Prints the human view, or returns what
 * `--json` prints. The same code whether oclif runs the command or main.ts does (without-oclif.ts).
 */
export async function runStatus(flags: TargetFlags, out: CommandOutput) {
  // Loaded here, not at the top: main.ts reaches this module before it knows the command is status.
  const [{ backendFor }, { planFor }, { failing, renderDatabases, renderPostgres, renderStatus, statusRows }, { recordedPlan, resolveTarget }] = await Promise.all([import('./backends.js'), import('./plan.js'), import('../render/status.js'), import('./target.js')])
  const target = resolveTarget(flags, 'status')
  for (const n of target.notes) if (!out.json) out.logToStderr(chalk.yellow(`note: ${n}`))
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
  if (out.json) return { project: project.name, environment: project.environment, mode: project.mode, ...(project.fromRecord ? { recorded: true } : {}), services: rows, servers, datamodels, ...(postgres.length ? { postgres, databases: plan.databases } : {}), notes }
  const pending = plan.summary.create + plan.summary.update + plan.summary.delete
  const bad = failing(rows)
  const state = [...(project.fromRecord ? [chalk.yellow('from the record (the file is not used)')] : []), ...(pending ? [chalk.yellow(`${pending} pending change${pending === 1 ? '' : 's'}: run pulpo up`)] : []), ...(bad.length ? [chalk.red(`failing: ${bad.join(', ')}`)] : [])]
  const header = `${chalk.bold(project.name)} (${project.environment}, ${project.mode})  ${state.length ? state.join('; ') : chalk.green('in sync')}`
  out.log(renderStatus(rows, header, project.mode === 'docker'))
  if (servers.length) out.log('\n' + renderDatabases(servers, datamodels))
  if (postgres.length) out.log('\n' + renderPostgres(postgres, plan.databases))
  for (const n of observed.notes) out.log(chalk.yellow(`note: ${n}`))
  return undefined
}
