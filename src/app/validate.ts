import chalk from 'chalk'
import { validateConfig } from '../config/load.js'
import type { CommandOutput } from './output.js'
import type { TargetFlags } from './target.js'
import { capProblems, problemJson, renderNotes, renderProblems } from '../render/problems.js'
import { count } from '../util/plural.js'

/**
 * `pulpo validate`: every problem of the file at once (exit 1), or that it is valid. Prints them,
 * or returns what `--json` prints. The same code whether oclif runs the command
 * (commands/validate.ts) or main.ts does (without-oclif.ts).
 */
export function runValidate(flags: TargetFlags, out: CommandOutput) {
  const v = validateConfig({ config: flags.config, env: flags.env })
  if (v.problems.length) process.exitCode = 1
  if (out.json) {
    const { shown, more } = capProblems(v.problems)
    return { valid: v.problems.length === 0, file: v.source.file, environment: v.envName, errors: shown.map(problemJson), errors_total: v.problems.length, errors_not_shown: more, warnings: v.notes.map(problemJson) }
  }
  if (v.notes.length) process.stderr.write(renderNotes(v.notes) + '\n')
  if (v.problems.length) {
    process.stderr.write(renderProblems(v.problems) + '\n')
    return undefined
  }
  const p = v.project!
  out.log(`${chalk.green('✔')} ${v.source.file} is valid ${chalk.dim(`(environment ${p.environment}, ${p.mode} mode, ${count(Object.keys(p.services).length, 'service')}, ${count(Object.keys(p.operations).length, 'operation')})`)}`)
  return undefined
}
