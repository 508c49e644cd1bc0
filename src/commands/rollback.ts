import { Args } from '@oclif/core'
import chalk from 'chalk'
import { configFlags, PulpoCommand } from '../base.js'

export default class Rollback extends PulpoCommand {
  static summary = 'Swarm mode: return services to the spec they had before their last update (all when none are named)'
  static description = "Swarm's own rollback (docker service rollback), waited for until it completes. pulpo.yaml is unchanged: the next `pulpo plan` shows the update again."
  static examples = ['<%= config.bin %> rollback api -e prod']
  static strict = false
  static args = { services: Args.string({ description: 'services to roll back' }) }
  static flags = { ...configFlags }

  async run() {
    const { flags, argv } = await this.parse(Rollback)
    const [{ failed, renderFailures }, { SwarmBackend }, { checkServiceNames }, { ServiceProgress }, { maskData }, { PulpoError }] = await Promise.all([import('../app/apply.js'), import('../backends/swarm/backend.js'), import('../project/services.js'), import('../render/progress.js'), import('../util/mask.js'), import('../errors.js')])
    const project = await this.loadProject(flags)
    if (project.mode !== 'swarm') throw new PulpoError('not-swarm', `rollback returns swarm services to their previous spec; environment '${project.environment}' is in ${project.mode} mode`, { hints: ['change pulpo.yaml back and run pulpo up'] })
    const names = (argv as string[]).length ? (argv as string[]) : Object.keys(project.services).sort()
    checkServiceNames(project, names)
    const json = this.jsonEnabled()
    return this.locked(project, 'rollback', async () => {
      const progress = new ServiceProgress(names, { silent: json, verb: 'rolled back', secrets: project.secrets })
      let results: Awaited<ReturnType<InstanceType<typeof SwarmBackend>['rollback']>> = []
      try {
        results = await new SwarmBackend().rollback(project, names, progress)
      } finally {
        await progress.finish(results)
      }
      if (failed(results)) process.exitCode = 1
      if (json) return maskData({ project: project.name, environment: project.environment, results }, project.secrets)
      const text = renderFailures(results)
      if (text) this.logToStderr(maskData(text, project.secrets))
      if (!failed(results)) this.log(`${chalk.green('✔')} rolled back ${names.join(', ')}`)
    })
  }
}
