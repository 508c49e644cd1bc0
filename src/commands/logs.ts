import { Args, Flags } from '@oclif/core'
import { configFlags, PulpoCommand } from '../base.js'

export default class Logs extends PulpoCommand {
  static summary = "Show the services' logs, merged with a coloured prefix per service"
  static examples = ['<%= config.bin %> logs', '<%= config.bin %> logs api -f', '<%= config.bin %> logs --tail 20']
  static enableJsonFlag = false
  static strict = false
  static args = { services: Args.string({ description: 'services to show (default: all)' }) }
  static flags = {
    ...configFlags,
    follow: Flags.boolean({ char: 'f', description: 'keep printing new lines until interrupted' }),
    tail: Flags.string({ char: 'n', description: 'lines to show from the end of each log: a number or "all"', default: 'all' }),
  }

  async run() {
    const { flags, argv } = await this.parse(Logs)
    // Loaded here, not at the top: every command module is evaluated at start-up.
    const [{ backendFor }, { desiredOf }, { checkServiceNames }, { mask }] = await Promise.all([import('../app/backends.js'), import('../app/plan.js'), import('../project/services.js'), import('../util/mask.js')])
    if (flags.tail !== 'all' && !/^[0-9]+$/.test(flags.tail)) this.error(`--tail must be a number of lines (0 or more) or "all", not '${flags.tail}'`, { exit: 2 })
    const tail = flags.tail === 'all' ? Infinity : Number(flags.tail)
    const { project } = await this.loadTarget(flags, 'logs')
    // A compose file of the user's has services pulpo.yaml does not name.
    checkServiceNames(project, argv as string[], (await desiredOf(project)).map((d) => d.name))
    const abort = new AbortController()
    const stop = () => abort.abort()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    try {
      await (await backendFor(project)).logs(project, argv as string[], { follow: flags.follow, tail, signal: abort.signal, write: (l) => process.stdout.write(mask(l, project.secrets) + '\n') })
    } finally {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
    }
  }
}
