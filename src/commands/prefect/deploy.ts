import { Args } from '@oclif/core'
import chalk from 'chalk'
import { configFlags, PulpoCommand } from '../../base.js'

export default class PrefectDeploy extends PulpoCommand {
  static summary = "Register deployments of the compiled flows with the project's running Prefect server"
  static description = 'Runs of a deployment are executed by a service of kind: prefect-serve (which also registers every flow when it starts). Run one with `pulpo prefect run FLOW --deployment`.'
  static examples = ['<%= config.bin %> prefect deploy', '<%= config.bin %> prefect deploy scraping_flow']
  static strict = false
  static args = { flows: Args.string({ description: 'flows to deploy (default: all)' }) }
  static flags = { ...configFlags }

  async run() {
    const { flags, argv } = await this.parse(PrefectDeploy)
    // Loaded here, not at the top: every command module is evaluated at start-up.
    const [{ backendFor }, { compileProject }, { PulpoError }, { deployFlows, findFlow, prefectApiUrl }] = await Promise.all([
      import('../../app/backends.js'),
      import('../../compile/index.js'),
      import('../../errors.js'),
      import('../../prefect/run.js'),
    ])
    // The Prefect server of what runs: the environment `pulpo up` applied, unless -e says otherwise.
    const { project } = await this.loadTarget(flags, 'prefect')
    const all = compileProject(project).flows
    const flows = (argv as string[]).length ? (argv as string[]).map((n) => findFlow(all, n)) : all
    if (!flows.length) throw new PulpoError('no-flows', 'pulpo.yaml declares no operations: there is nothing to deploy')
    const apiUrl = await prefectApiUrl(project, await backendFor(project))
    if (!apiUrl) throw new PulpoError('prefect-down', "the project's Prefect server is not running", { hints: ['start it with `pulpo up` (a service of kind: prefect)'] })
    const deployed = await deployFlows(project, flows, apiUrl)
    const runner = Object.values(project.services).find((s) => s.kind === 'prefect-serve')
    if (this.jsonEnabled()) return { api_url: apiUrl, deployed, runner: runner?.name ?? null }
    for (const d of deployed) this.log(`${chalk.green('✔')} ${d.deployment} ${chalk.dim(d.id)}`)
    if (!runner) this.logToStderr(chalk.yellow('note: no service of kind: prefect-serve — runs of these deployments wait until a runner serves them'))
  }
}
