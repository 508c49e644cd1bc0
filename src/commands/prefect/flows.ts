import chalk from 'chalk'
import { configFlags, PulpoCommand } from '../../base.js'

export default class PrefectFlows extends PulpoCommand {
  static summary = 'List the compiled flows, their subflows, tasks and parameters'
  static flags = { ...configFlags }

  async run() {
    const { flags } = await this.parse(PrefectFlows)
    // Loaded here, not at the top: every command module is evaluated at start-up.
    const { compileProject } = await import('../../compile/index.js')
    const { flows } = compileProject(await this.loadProject(flags))
    if (this.jsonEnabled()) return { flows }
    if (!flows.length) return this.log('no flows: pulpo.yaml declares no operations')
    for (const f of flows) {
      const params = f.params.map((p) => `${p.name}: ${p.type}${p.required ? '' : ` = ${JSON.stringify(p.default)}`}`).join(', ')
      this.log(`${chalk.bold(f.name)}${chalk.dim(` (${f.kind}${f.aliases.length ? `; also ${f.aliases.join(', ')}` : ''})`)}(${params})`)
      if (f.subflows.length) this.log(`  subflows: ${f.subflows.join(', ')}`)
      this.log(`  tasks:    ${f.tasks.join(', ')}`)
    }
  }
}
