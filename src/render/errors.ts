import chalk from 'chalk'
import { isPulpoError, type PulpoError } from '../errors.js'
import { mask, maskData } from '../util/mask.js'
import { capProblems, problemJson, renderProblems } from './problems.js'

/**
 * How an error reaches the user, with its exit code: a PulpoError (a user's problem) as its
 * message and hints, anything else (a bug) as one line, with the stack only with PULPO_DEBUG=1.
 * A password in a URL is masked whatever the message quotes (a docker_host ssh://user:PASSWORD@…,
 * a CLI's own words): the project's other secrets are masked where the message is made.
 * The one place for both the oclif commands (base.ts) and main.ts's status without oclif.
 */
export function reportError(err: Error, json: boolean, logJson: (data: unknown) => void): void {
  const pe = isPulpoError(err) ? err : undefined
  process.exitCode = pe?.exitCode ?? 1
  if (json) {
    logJson(maskData({ error: pe ? errorJson(pe) : { code: 'internal', message: err.message } }, []))
    return
  }
  process.stderr.write(mask(pe ? renderError(pe) + '\n' : internal(err), []))
}

export function errorJson(e: PulpoError) {
  if (!e.problems.length) return { code: e.code, message: e.message, hints: e.hints }
  const { shown, more } = capProblems(e.problems)
  return { code: e.code, message: e.message, hints: e.hints, problems: shown.map(problemJson), problems_total: e.problems.length, problems_not_shown: more }
}

export function renderError(e: PulpoError): string {
  if (e.problems.length) return renderProblems(e.problems)
  const lines = [chalk.red.bold('✖ ') + e.message]
  for (const h of e.hints) lines.push(`  ${chalk.dim('hint:')} ${chalk.yellow(h)}`)
  return lines.join('\n')
}

function internal(err: Error): string {
  const debug = process.env.PULPO_DEBUG === '1'
  return `${chalk.red.bold('✖ internal error:')} ${err.message}\n${debug ? (err.stack ?? '') + '\n' : chalk.dim('  (a bug in pulpo; run with PULPO_DEBUG=1 for the stack trace)\n')}`
}
