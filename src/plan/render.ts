import chalk from 'chalk'
import { ACTIONS, type Plan } from './plan.js'

const COLOUR = { create: chalk.green, update: chalk.yellow, delete: chalk.red, noop: chalk.dim }

/** A plan as Terraform shows one: a line per change with its symbol and reasons, then a summary. */
export function renderPlan(plan: Plan): string {
  const lines: string[] = []
  const pending = plan.changes.filter((c) => c.action !== 'noop')
  if (!pending.length) {
    lines.push(`No changes. ${plan.project} (${plan.environment}, ${plan.mode}) matches pulpo.yaml.`)
    return lines.join('\n')
  }
  lines.push(`pulpo will perform these actions on ${plan.project} (${plan.environment}, ${plan.mode}):`, '')
  for (const c of pending) {
    const paint = COLOUR[c.action]
    lines.push(paint(`  ${ACTIONS[c.action]} ${c.service}`) + chalk.dim(` (${c.action})`))
    for (const r of c.reasons) lines.push(`      ${r}`)
  }
  const s = plan.summary
  lines.push('', `Plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete, ${s.noop} unchanged.`)
  return lines.join('\n')
}
