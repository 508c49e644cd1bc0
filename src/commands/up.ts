import { Args, Flags } from '@oclif/core'
import chalk from 'chalk'
import { configFlags, PulpoCommand } from '../base.js'
import type { ResourceStep } from '../plan/plan.js'
import { count } from '../util/plural.js'

export default class Up extends PulpoCommand {
  static summary = 'Start the services: apply only the difference, in dependency order, waiting until ready'
  static description = 'Services not running are started; changed services are restarted (and dependents that opted in with restart: true); services gone from pulpo.yaml are stopped. Returns when everything it started is ready.'
  static examples = ['<%= config.bin %> up', '<%= config.bin %> up api', '<%= config.bin %> up --env prod']
  static strict = false
  static args = { services: Args.string({ description: 'services to start, with what they depend on (default: all)' }) }
  static flags = {
    ...configFlags,
    'prune-indexes': Flags.boolean({ description: 'drop indexes that are in the database but not in pulpo.yaml' }),
  }

  async run() {
    const { flags, argv } = await this.parse(Up)
    // Loaded here, not at the top: every command module is evaluated at start-up.
    const [{ applyPlan, failed, renderFailures }, { backendFor }, { applyDatamodels }, { planFor }, { mask, maskData }, { writeRecord }, { securePulpoDir }, { ServiceProgress }] = await Promise.all([import('../app/apply.js'), import('../app/backends.js'), import('../app/datamodels.js'), import('../app/plan.js'), import('../util/mask.js'), import('../project/record.js'), import('../project/paths.js'), import('../render/progress.js')])
    const { checkServiceNames } = await import('../project/services.js')
    const { ensureDatabases } = await import('../app/databases.js')
    const { planJson } = await import('../render/plan.js')
    const { project, previous } = await this.loadTarget(flags, 'up')
    const backend = await backendFor(project)
    const json = this.jsonEnabled()
    return this.locked(project, 'up', async (signal) => {
      const prune = flags['prune-indexes']
      // Switching to an environment of another mode: the other backend's services stop first.
      if (previous && previous.mode !== project.mode) {
        const old = await backendFor(previous)
        const shown = (await old.observe(previous)).actual.filter((a) => a.state === 'running' || a.state === 'starting').map((a) => a.name)
        const progress = new ServiceProgress(shown, { silent: json, verb: 'stopped' })
        const stopped = await old.down(previous, [], { progress, volumes: false })
        await progress.finish(stopped.filter((r) => shown.includes(r.service)))
        if (failed(stopped)) {
          process.exitCode = 1
          this.logToStderr(renderFailures(stopped))
          return
        }
      }
      // What runs is recorded first, so that a broken file or an interrupted up still reaches it.
      writeRecord(project)
      securePulpoDir(project.dir)
      // A runner of the compiled flows serves what run_cache/ holds: bring it up to date first.
      if (Object.values(project.services).some((s) => s.kind === 'prefect-serve')) (await import('../compile/index.js')).ensureCompiled(project)
      // What the backend will need (the local supervisor) starts while the plan is made, once the
      // names asked for are known to be services (an up that fails leaves nothing behind).
      checkServiceNames(project, argv as string[])
      backend.warm?.(project)
      const { plan } = await planFor(project, backend, { only: argv as string[], datamodels: 'ensure' })
      const datamodels: { applied: string[]; warnings: string[] } = { applied: [], warnings: [] }
      // A database's datamodels are applied once it is ready and before anything that waits for it to be healthy starts.
      const databases: string[] = []
      const resources = async (service: string, steps: ResourceStep[], progress: (text: string) => void) => {
        if (steps.some((s) => s.kind === 'database')) databases.push(...(await ensureDatabases(project, service, progress)))
        if (!steps.some((s) => s.kind === 'datamodel')) return
        const r = await applyDatamodels(project, service, { prune, progress })
        datamodels.applied.push(...r.applied)
        datamodels.warnings.push(...r.warnings)
      }
      const results = await applyPlan(project, backend, plan, { json, signal, resources })
      if (failed(results)) process.exitCode = signal.aborted ? 130 : 1
      if (json) return maskData({ ...planJson(plan), results, datamodels, databases: { created: databases } }, project.secrets)
      for (const d of databases) this.log(chalk.dim(`database ${d} created`))
      for (const a of datamodels.applied) this.log(chalk.dim(`datamodel ${a}`))
      for (const w of datamodels.warnings) this.logToStderr(chalk.yellow(`warning: datamodel ${w}`))
      const text = renderFailures(results)
      if (text) this.logToStderr(mask(text, project.secrets))
      const changed = plan.steps.filter((c) => c.action !== 'noop').length
      if (signal.aborted) this.logToStderr(chalk.yellow('\ninterrupted: services started so far keep running; `pulpo up` continues, `pulpo down` stops them'))
      else if (!failed(results)) this.log(changed ? `${chalk.green('✔')} ${project.name} is up (${count(Object.keys(project.services).length, 'service')}, ${changed} changed)` : `${chalk.green('✔')} ${project.name} is up to date (${count(plan.summary.noop, 'service')} running)`)
    })
  }
}
