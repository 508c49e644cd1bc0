import { Args, Flags } from '@oclif/core'
import chalk from 'chalk'
import { configFlags, PulpoCommand } from '../base.js'

export default class Build extends PulpoCommand {
  static summary = 'Build the images of services with build:, tagged by content; --push sends them to the registry'
  static description = 'Images are tagged <registry>/<project>-<service>:<content hash> (the build context as .dockerignore leaves it, the Dockerfile and the args), so unchanged content is neither rebuilt nor pushed again. Uses the environment\'s docker_host (else DOCKER_HOST); what was built is recorded in .pulpo/<project>/images.json.'
  static examples = ['<%= config.bin %> build', '<%= config.bin %> build api --push', '<%= config.bin %> build --push --env prod']
  static strict = false
  static args = { services: Args.string({ description: 'services to build (default: every service with build:)' }) }
  static flags = { ...configFlags, push: Flags.boolean({ description: "push the images to the environment's registry" }) }

  async run() {
    const { flags, argv } = await this.parse(Build)
    // Loaded here, not at the top: every command module is evaluated at start-up.
    const [{ buildProject }, { loadProject }, { mask, maskData }] = await Promise.all([import('../images/index.js'), import('../config/load.js'), import('../util/mask.js')])
    const project = loadProject({ config: flags.config, env: flags.env })
    const json = this.jsonEnabled()
    const results = await buildProject(project, { services: argv as string[], push: flags.push, silent: json })
    const failures = results.filter((r) => r.status === 'failed')
    if (failures.length) process.exitCode = 1
    if (json) return maskData({ environment: project.environment, registry: project.registry ?? null, images: results }, project.secrets)
    for (const f of failures) {
      this.logToStderr(`${chalk.red.bold('✖')} ${f.service}: ${mask(f.error ?? 'failed', project.secrets)}`)
      if (f.output) this.logToStderr(mask(f.output, project.secrets).replace(/^/gm, '    '))
      if (f.hint) this.logToStderr(`  ${chalk.dim('hint:')} ${chalk.yellow(mask(f.hint, project.secrets))}`)
    }
    if (!results.length) this.log(`no service of ${project.name} has build:`)
    else if (!failures.length) {
      const count = (f: (r: (typeof results)[number]) => boolean) => results.filter(f).length
      const parts = [`${count((r) => r.built)} built`, ...(flags.push ? [`${count((r) => r.pushed)} pushed`] : []), `${count((r) => !r.built && !r.pushed)} up to date`]
      this.log(`${chalk.green('✔')} ${results.length} image${results.length === 1 ? '' : 's'}: ${parts.join(', ')}`)
    }
  }
}
