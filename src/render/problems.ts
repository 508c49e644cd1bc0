import chalk from 'chalk'
import type { Problem } from '../errors.js'
import { count } from '../util/plural.js'

/** The section a problem belongs to, for grouping: `services.api`, `operations.scraping.merge`, `version`. */
function section(p: Problem): string {
  const segs = p.path.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
  if (segs[0] === 'environments' && segs[2] === 'services') return segs.slice(0, 4).join('.')
  return segs.slice(0, 2).join('.') || '(file)'
}

/**
 * At most this many problems are printed (and listed in --json): a wrong -c or a generated file
 * gone bad can have thousands, and the first ones are what a person fixes first.
 */
export const MAX_PROBLEMS = 200

/** The problems to show, in file order, and how many more there are. */
export function capProblems<T>(problems: readonly T[]): { shown: T[]; more: number } {
  return { shown: problems.slice(0, MAX_PROBLEMS), more: Math.max(0, problems.length - MAX_PROBLEMS) }
}

/**
 * Problems as lines a person and an editor can both read: `pulpo.yaml:12:5: message`, grouped
 * by the section of the file they are in, in file order, each with its hint below it.
 */
export function renderProblems(problems: readonly Problem[]): string {
  const groups = new Map<string, Problem[]>()
  const { shown, more } = capProblems(problems)
  for (const p of shown) {
    const key = section(p)
    if (!groups.has(key)) groups.set(key, [])
    groups.get(key)!.push(p)
  }
  const lines = [chalk.red.bold(`✖ ${problems[0]?.file ?? 'pulpo.yaml'}: ${count(problems.length, 'problem')}`)]
  for (const [name, group] of groups) {
    lines.push('', chalk.bold(name))
    for (const p of group) {
      lines.push(`  ${chalk.cyan(`${p.file}:${p.line}:${p.column}`)}: ${p.message}`)
      if (p.hint) lines.push(`    ${chalk.dim('hint:')} ${chalk.yellow(p.hint)}`)
    }
  }
  if (more) lines.push('', chalk.yellow(`… and ${count(more, 'more problem')} not shown (the first ${MAX_PROBLEMS} in file order are above)`))
  return lines.join('\n')
}

/** Warnings, one per line with its hint: `pulpo.yaml:12:5: note: message`. */
export function renderNotes(notes: readonly Problem[]): string {
  return notes.map((n) => `${chalk.cyan(`${n.file}:${n.line}:${n.column}`)}: ${chalk.yellow('note:')} ${n.message}${n.hint ? `\n    ${chalk.dim('hint:')} ${chalk.yellow(n.hint)}` : ''}`).join('\n')
}

/** The contract's JSON form of a problem (`code` is an addition). */
export const problemJson = (p: Problem) => ({
  file: p.file,
  line: p.line,
  column: p.column,
  path: p.path,
  message: p.message,
  ...(p.hint ? { hint: p.hint } : {}),
  code: p.code,
})
