import { Args, Flags } from '@oclif/core'
import chalk from 'chalk'
import { configFlags, projectFlag, PulpoCommand } from '../base.js'

export default class Down extends PulpoCommand {
  static summary = 'Stop services in reverse dependency order (dependents first); data is kept unless --volumes'
  static examples = ['<%= config.bin %> down', '<%= config.bin %> down api', '<%= config.bin %> down --volumes', '<%= config.bin %> down -p jobs']
  static strict = false
  static args = { services: Args.string({ description: 'services to stop (default: all, and the supervisor)' }) }
  static flags = { ...configFlags, ...projectFlag, volumes: Flags.boolean({ char: 'v', description: "also remove the services' data (.pulpo/<project>/data, named volumes)" }) }

  async run() {
    const { flags, argv } = await this.parse(Down)
    // Loaded here, not at the top: every command module is evaluated at start-up.
    const [{ failed, renderFailures }, { backendFor }, { checkServiceNames }, { ServiceProgress }, { maskData }, { forgetRecord }, { dataFailed, renderDataRemovals }] = await Promise.all([import('../app/apply.js'), import('../app/backends.js'), import('../project/services.js'), import('../render/progress.js'), import('../util/mask.js'), import('../project/record.js'), import('../render/data.js')])
    const { project } = await this.loadTarget(flags, 'down')
    const backend = await backendFor(project)
    const json = this.jsonEnabled()
    return this.locked(project, 'down', async () => {
      const names = argv as string[]
      // Progress rows are made for what the backend reports; start with the named or configured services.
      const { actual } = await backend.observe(project)
      // What still runs may be stopped even when pulpo.yaml no longer has it.
      checkServiceNames(project, names, actual.map((a) => a.name))
      const shown = names.length ? names : actual.filter((a) => a.state === 'running' || a.state === 'starting').map((a) => a.name)
      const progress = new ServiceProgress(shown, { silent: json, verb: 'stopped', secrets: project.secrets })
      let down: Awaited<ReturnType<typeof backend.down>> = { results: [] }
      try {
        down = await backend.down(project, names, { progress, volumes: flags.volumes })
      } finally {
        await progress.finish(down.results.filter((r) => shown.includes(r.service)))
      }
      const { results, data } = down
      if (failed(results) || dataFailed(data)) process.exitCode = 1
      // Nothing of the project runs: its name is free for another file, its environment forgotten.
      // (Kept while data it could not delete stays: `down -v -p NAME` finds the project again.)
      else if (!names.length) forgetRecord(project)
      if (json) return maskData({ project: project.name, environment: project.environment, mode: project.mode, results, volumes: flags.volumes === true, ...(data ? { data } : {}) }, project.secrets)
      const text = renderFailures(results)
      if (text) this.logToStderr(maskData(text, project.secrets))
      const words = renderDataRemovals(data ?? [])
      if (words.done) this.log(maskData(words.done, project.secrets))
      if (words.failed) this.logToStderr(maskData(words.failed, project.secrets))
      if (!failed(results) && !dataFailed(data)) this.log(`${chalk.green('✔')} ${names.length ? names.join(', ') : project.name} stopped${flags.volumes ? ', data removed' : ''}`)
    })
  }
}
