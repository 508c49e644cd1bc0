import { Args, Flags } from '@oclif/core'
import chalk from 'chalk'
import { configFlags, PulpoCommand } from '../../base.js'

export default class PrefectRun extends PulpoCommand {
  static summary = 'Run a compiled flow and print its result; exit 0 only if the flow run completed'
  static examples = ['<%= config.bin %> prefect run scraping_flow --param keywords=python', '<%= config.bin %> prefect run scraping.stepstone --params \'{"keywords": "go"}\' --json']
  static args = { flow: Args.string({ required: true, description: 'scraping_flow, scraping, scraping.stepstone or validate_flow' }) }
  static flags = {
    ...configFlags,
    param: Flags.string({ char: 'p', multiple: true, default: [], description: 'a parameter, name=value, converted to its declared type (list and dict as JSON)' }),
    params: Flags.string({ description: 'parameters as a JSON object' }),
    deployment: Flags.boolean({ description: "run the flow's deployment through the project's Prefect server (executed by its prefect-serve runner)" }),
  }

  async run() {
    const { args, flags } = await this.parse(PrefectRun)
    // Loaded here, not at the top: every command module is evaluated at start-up.
    const [{ backendFor }, { compileProject }, { mask, maskData }, { findFlow, flowParameters, prefectApiUrl, runFlow }] = await Promise.all([
      import('../../app/backends.js'),
      import('../../compile/index.js'),
      import('../../util/mask.js'),
      import('../../prefect/run.js'),
    ])
    const { PulpoError } = await import('../../errors.js')
    // The Prefect server of what runs: the environment `pulpo up` applied, unless -e says otherwise.
    const { project } = await this.loadTarget(flags, 'prefect')
    const flow = findFlow(compileProject(project).flows, args.flow)
    const params = flowParameters(flow, flags.params, flags.param)
    const apiUrl = await prefectApiUrl(project, await backendFor(project))
    if (flags.deployment && !apiUrl) throw new PulpoError('prefect-down', "--deployment runs through the project's Prefect server, which is not running", { hints: ['start it with `pulpo up`'] })
    const json = this.jsonEnabled()
    if (!json) this.logToStderr(chalk.dim(`running ${flow.name}${flags.deployment ? ' (its deployment)' : ''} ${apiUrl ? `on the project's Prefect server (${apiUrl})` : "in Prefect's ephemeral mode (the project's Prefect server is not up)"}`))
    const abort = new AbortController()
    const onInt = () => abort.abort()
    process.once('SIGINT', onInt)
    const outcome = await runFlow(project, flow, params, { apiUrl, deployment: flags.deployment, logsTo: json ? 'stderr' : 'stdout', signal: abort.signal }).finally(() => process.off('SIGINT', onInt))
    if (outcome.state !== 'COMPLETED') process.exitCode = 1
    if (json) return maskData(outcome, project.secrets)
    if (outcome.state === 'COMPLETED') {
      this.log(mask(JSON.stringify(outcome.result ?? null, null, 2), project.secrets))
      this.logToStderr(`${chalk.green('✔')} ${flow.name} completed${outcome.flow_run_id ? chalk.dim(` (flow run ${outcome.flow_run_id})`) : ''}`)
    } else {
      this.logToStderr(`${chalk.red('✖')} ${flow.name} ${outcome.state.toLowerCase()}: ${mask(outcome.error ?? outcome.message ?? 'no message', project.secrets)}`)
    }
  }
}
