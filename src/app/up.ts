import chalk from 'chalk'
import { applyPlan, failed, renderFailures, withLock } from './apply.js'
import { backendFor } from './backends.js'
import type { CommandOutput } from './output.js'
import { planFor } from './plan.js'
import { resolveTarget, type TargetFlags } from './target.js'
import type { ResourceStep } from '../plan/plan.js'
import { securePulpoDir } from '../project/paths.js'
import { writeRecord } from '../project/record.js'
import { checkServiceNames } from '../project/services.js'
import { ServiceProgress } from '../render/progress.js'
import { planJson } from '../render/plan.js'
import { mask, maskData } from '../util/mask.js'
import { count } from '../util/plural.js'

/**
 * `pulpo up [SERVICE...]`: applies the difference, in dependency order, until everything it started
 * is ready. Prints progress and the outcome, or returns what `--json` prints. The same code whether
 * oclif runs the command (commands/up.ts) or main.ts does (without-oclif.ts).
 */
export async function runUp(flags: TargetFlags, opts: { services: string[]; pruneIndexes: boolean }, out: CommandOutput) {
  const target = resolveTarget(flags, 'up')
  for (const n of target.notes) if (!out.json) out.logToStderr(chalk.yellow(`note: ${n}`))
  const { project, previous } = target
  const backend = await backendFor(project)
  const { json } = out
  return withLock(project, 'up', (s) => !json && out.logToStderr(s), async (signal) => {
    // Switching to an environment of another mode: the other backend's services stop first.
    if (previous && previous.mode !== project.mode) {
      const old = await backendFor(previous)
      const shown = (await old.observe(previous)).actual.filter((a) => a.state === 'running' || a.state === 'starting').map((a) => a.name)
      const progress = new ServiceProgress(shown, { silent: json, verb: 'stopped', secrets: project.secrets })
      const { results: stopped } = await old.down(previous, [], { progress, volumes: false })
      await progress.finish(stopped.filter((r) => shown.includes(r.service)))
      if (failed(stopped)) {
        process.exitCode = 1
        // The record keeps no values: the file's secrets (the same file's other environment) mask it.
        out.logToStderr(mask(renderFailures(stopped), project.secrets))
        return undefined
      }
    }
    // What runs is recorded first, so that a broken file or an interrupted up still reaches it.
    writeRecord(project)
    securePulpoDir(project.dir)
    // A runner of the compiled flows serves what run_cache/ holds: bring it up to date first.
    if (Object.values(project.services).some((s) => s.kind === 'prefect-serve')) (await import('../compile/index.js')).ensureCompiled(project)
    // What the backend will need (the local supervisor) starts while the plan is made, once the
    // names asked for are known to be services (an up that fails leaves nothing behind).
    checkServiceNames(project, opts.services)
    backend.warm?.(project)
    const { plan } = await planFor(project, backend, { only: opts.services, datamodels: 'ensure' })
    const datamodels: { applied: string[]; warnings: string[] } = { applied: [], warnings: [] }
    // A database's datamodels are applied once it is ready and before anything that waits for it to be healthy starts.
    const databases: string[] = []
    const resources = async (service: string, steps: ResourceStep[], progress: (text: string) => void) => {
      // Loaded here: the MongoDB driver and PostgreSQL's wire protocol, for a project that has these.
      if (steps.some((s) => s.kind === 'database')) databases.push(...(await (await import('./databases.js')).ensureDatabases(project, service, progress)))
      if (!steps.some((s) => s.kind === 'datamodel')) return
      const r = await (await import('./datamodels.js')).applyDatamodels(project, service, { prune: opts.pruneIndexes, progress })
      datamodels.applied.push(...r.applied)
      datamodels.warnings.push(...r.warnings)
    }
    const results = await applyPlan(project, backend, plan, { json, signal, resources })
    if (failed(results)) process.exitCode = signal.aborted ? 130 : 1
    if (json) return maskData({ ...planJson(plan), results, datamodels, databases: { created: databases } }, project.secrets)
    for (const d of databases) out.log(chalk.dim(`database ${d} created`))
    for (const a of datamodels.applied) out.log(chalk.dim(`datamodel ${a}`))
    for (const w of datamodels.warnings) out.logToStderr(chalk.yellow(`warning: datamodel ${w}`))
    const text = renderFailures(results)
    if (text) out.logToStderr(mask(text, project.secrets))
    const changed = plan.steps.filter((c) => c.action !== 'noop').length
    if (signal.aborted) out.logToStderr(chalk.yellow('\ninterrupted: services started so far keep running; `pulpo up` continues, `pulpo down` stops them'))
    else if (!failed(results)) out.log(changed ? `${chalk.green('✔')} ${project.name} is up (${count(Object.keys(project.services).length, 'service')}, ${changed} changed)` : `${chalk.green('✔')} ${project.name} is up to date (${count(plan.summary.noop, 'service')} running)`)
    return undefined
  })
}
