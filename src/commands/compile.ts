import { Flags } from '@oclif/core'
import chalk from 'chalk'
import { configFlags, PulpoCommand } from '../base.js'
import { count } from '../util/plural.js'

export default class Compile extends PulpoCommand {
  static summary = 'Write run_cache/: the Prefect flows of the operations, and what the environment deploys (docker: the compose file, swarm: the stack file, kubernetes: manifests)'
  static examples = ['<%= config.bin %> compile', '<%= config.bin %> compile --check']
  static flags = { ...configFlags, check: Flags.boolean({ description: 'change nothing; exit 1 if run_cache/ is not what compile would write' }) }

  async run() {
    const { flags } = await this.parse(Compile)
    // Loaded here, not at the top: every command module is evaluated at start-up.
    const [{ compileWithImages, keptExports, RUN_CACHE, syncRunCache }, { kubernetesCommands }] = await Promise.all([import('../compile/index.js'), import('../compile/kubernetes.js')])
    const project = await this.loadProject(flags)
    const { files, flows, warnings } = compileWithImages(project)
    const r = syncRunCache(project.dir, files, { check: flags.check, keep: keptExports(project) })
    const next = project.mode === 'kubernetes' ? kubernetesCommands(project) : []
    const stale = r.written.length + r.removed.length > 0
    if (flags.check && stale) process.exitCode = 1
    if (this.jsonEnabled()) return { stale: flags.check ? stale : undefined, written: r.written, removed: r.removed, unchanged: r.unchanged.length, flows: flows.map((f) => f.name), warnings, ...(next.length ? { commands: next } : {}) }
    for (const w of warnings) this.logToStderr(chalk.yellow(`warning: ${w}`))
    if (flags.check) {
      if (!stale) return this.log(`${chalk.green('✔')} ${RUN_CACHE}/ is up to date (${count(files.length, 'file')})`)
      this.logToStderr(chalk.red(`✖ ${RUN_CACHE}/ is stale: run pulpo compile`))
      for (const f of r.written) this.logToStderr(`  ~ ${RUN_CACHE}/${f}`)
      for (const f of r.removed) this.logToStderr(`  - ${RUN_CACHE}/${f}`)
      return
    }
    for (const f of r.written) this.log(`${chalk.green('wrote')}   ${RUN_CACHE}/${f}`)
    for (const f of r.removed) this.log(`${chalk.red('removed')} ${RUN_CACHE}/${f}`)
    this.log(`${chalk.green('✔')} ${RUN_CACHE}/: ${r.written.length} written, ${r.removed.length} removed, ${r.unchanged.length} unchanged; ${count(flows.length, 'flow')}`)
    if (next.length) this.log(`apply it with:\n${next.map((c) => `  ${c}`).join('\n')}`)
  }
}
