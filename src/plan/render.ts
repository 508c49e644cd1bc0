import chalk from 'chalk'
import { ACTIONS, type Plan } from './plan.js'
import { count } from '../util/plural.js'

/** A datamodel's line in a plan or status (what app/datamodels.ts observes). */
export interface DatamodelLine {
  name: string
  namespace: string
  state: 'in-sync' | 'drifted' | 'unknown'
  changes: string[]
  warnings: string[]
}

const COLOUR = { create: chalk.green, update: chalk.yellow, delete: chalk.red, noop: chalk.dim }

/** A plan as Terraform shows one: a line per change with its symbol and reasons, then a summary. */
export function renderPlan(plan: Plan & { datamodels?: DatamodelLine[] }): string {
  const lines: string[] = []
  const pending = plan.changes.filter((c) => c.action !== 'noop')
  const models = plan.datamodels ?? []
  const drifted = models.filter((m) => m.state === 'drifted')
  const warnings = models.flatMap((m) => m.warnings.map((w) => `${m.name}: ${w}`))
  if (!pending.length && !drifted.length) {
    lines.push(`No changes. ${plan.project} (${plan.environment}, ${plan.mode}) matches pulpo.yaml.`)
    for (const w of warnings) lines.push(chalk.yellow(`warning: ${w}`))
    return lines.join('\n')
  }
  lines.push(`pulpo will perform these actions on ${plan.project} (${plan.environment}, ${plan.mode}):`, '')
  for (const c of pending) {
    const paint = COLOUR[c.action]
    lines.push(paint(`  ${ACTIONS[c.action]} ${c.service}`) + chalk.dim(` (${c.action})`))
    for (const r of c.reasons) lines.push(`      ${r}`)
  }
  for (const m of drifted) {
    lines.push(chalk.yellow(`  ~ datamodel ${m.name}`) + chalk.dim(` (${m.namespace})`))
    for (const c of m.changes) lines.push(`      ${c}`)
  }
  for (const w of warnings) lines.push(chalk.yellow(`  ! ${w}`))
  const s = plan.summary
  lines.push('', `Plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete, ${s.noop} unchanged${drifted.length ? `; ${count(drifted.length, 'datamodel')} to update` : ''}.`)
  return lines.join('\n')
}
