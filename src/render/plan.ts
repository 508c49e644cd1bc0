import chalk from 'chalk'
import { ACTIONS, type Action, type Plan, type Reason, type Step } from '../plan/plan.js'
import { count } from '../util/plural.js'

/**
 * The words of a plan, in one place (Terraform's jsonformat renderer): the human view, `--json`'s
 * `reasons` strings and the plan's text form in tests all come from here.
 */

/** A reason in words; one line each (a change of several fields is a line per field). */
export function reasonWords(r: Reason): string[] {
  switch (r.kind) {
    case 'absent':
      return ['not running']
    case 'drift':
      if (r.observed !== 'exited') return [`not running (${r.observed})`]
      return [r.exitCode === undefined || r.exitCode === null ? 'not running (exited)' : `not running (exited with code ${r.exitCode})`]
    case 'changed':
      if (!r.changes) return r.fields.map((f) => `${f} changed`)
      // Values only where both are known and shown (never env, commands or images).
      return r.changes.map((c) => (c.change !== 'changed' ? `${c.field} ${c.change}` : c.from !== undefined ? `${c.field} ${c.from} → ${c.to}` : `${c.field} changed`))
    case 'requested':
      return ['restart requested']
    case 'dependency':
      return [`dependency ${r.name} restarts`]
    case 'removed':
      return [r.disabledIn ? `disabled in ${r.disabledIn}` : 'not in the configuration of this environment']
    case 'differs':
      return r.changes
    case 'ensure':
      return ['brought to pulpo.yaml once its service is ready']
  }
}

export const reasonsOf = (s: { causes: Reason[] }) => s.causes.flatMap(reasonWords)

/** A service's change as the contract's JSON has it: `reasons` are strings. */
export interface Change {
  service: string
  action: Action
  reasons: string[]
}

export const changesOf = (plan: Pick<Plan, 'steps'>): Change[] => plan.steps.map((s: Step) => ({ service: s.service, action: s.action, reasons: reasonsOf(s) }))

/** The plan as `--json` prints it: the contract's shape (`changes` with string reasons), and the typed steps beside it. */
export function planJson<P extends Plan>(plan: P): Omit<P, 'steps' | 'resources' | 'summary'> & { changes: Change[]; summary: Plan['summary']; steps: Plan['steps']; resources: Plan['resources'] } {
  const { steps, resources, summary, ...rest } = plan
  return { ...rest, changes: changesOf(plan), summary, steps, resources }
}

/**
 * The plan as text, a line per step (compose's `plan.String()`), for tests to compare:
 * `~ api (update): env.X changed; dependency db restarts`, `~ datamodel:jobs after db (update): ...`.
 */
export function planText(plan: Plan): string {
  const line = (symbol: string, name: string, action: Action, causes: Reason[]) => `${symbol} ${name} (${action})${causes.length ? `: ${causes.flatMap(reasonWords).join('; ')}` : ''}`
  return [
    ...plan.steps.map((s) => line(ACTIONS[s.action], s.service, s.action, s.causes)),
    ...plan.resources.map((r) => line(ACTIONS[r.action], `${r.id} after ${r.service}`, r.action, r.causes)),
  ].join('\n')
}

const COLOUR = { create: chalk.green, update: chalk.yellow, delete: chalk.red, noop: chalk.dim }

/** What the plan command shows of datamodels beyond their steps: what the server cannot do, indexes kept. */
export interface DatamodelWarnings {
  name: string
  warnings: string[]
}

/** A plan as Terraform shows one: a line per change with its symbol and reasons, then a summary. */
export function renderPlan(plan: Plan & { datamodels?: DatamodelWarnings[] }): string {
  const lines: string[] = []
  const pending = plan.steps.filter((c) => c.action !== 'noop')
  const drifted = plan.resources.filter((r) => r.action !== 'noop')
  const warnings = (plan.datamodels ?? []).flatMap((m) => m.warnings.map((w) => `${m.name}: ${w}`))
  if (!pending.length && !drifted.length) {
    lines.push(`No changes. ${plan.project} (${plan.environment}, ${plan.mode}) matches pulpo.yaml.`)
    for (const w of warnings) lines.push(chalk.yellow(`warning: ${w}`))
    return lines.join('\n')
  }
  lines.push(`pulpo will perform these actions on ${plan.project} (${plan.environment}, ${plan.mode}):`, '')
  for (const c of pending) {
    lines.push(COLOUR[c.action](`  ${ACTIONS[c.action]} ${c.service}`) + chalk.dim(` (${c.action})`))
    for (const r of reasonsOf(c)) lines.push(`      ${r}`)
  }
  for (const m of drifted) {
    lines.push(COLOUR[m.action](`  ${ACTIONS[m.action]} ${m.kind} ${m.name}`) + chalk.dim(` (${m.where ?? m.service})`))
    for (const c of reasonsOf(m)) lines.push(`      ${c}`)
  }
  for (const w of warnings) lines.push(chalk.yellow(`  ! ${w}`))
  const s = plan.summary
  lines.push('', `Plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete, ${s.noop} unchanged${resourceSummary(drifted)}.`)
  return lines.join('\n')
}

/** `; 1 database to create, 2 datamodels to update`: the resource steps by kind and action. */
function resourceSummary(steps: Plan['resources']): string {
  const groups = new Map<string, number>()
  for (const r of steps) groups.set(`${r.kind}\0${r.action}`, (groups.get(`${r.kind}\0${r.action}`) ?? 0) + 1)
  const parts = [...groups].map(([key, n]) => {
    const [kind, action] = key.split('\0')
    return `${count(n, kind)} to ${action}`
  })
  return parts.length ? `; ${parts.join(', ')}` : ''
}
