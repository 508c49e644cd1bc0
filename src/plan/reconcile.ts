import { changedFields } from './hash.js'
import { isActive, summarize, type Actual, type Change, type Desired, type Plan } from './plan.js'

export interface ReconcileInput {
  project: string
  environment: string
  mode: string
  desired: Desired[]
  actual: Actual[]
  /** `pulpo up SERVICE...`: act on these and what they depend on; leave the rest alone. */
  only?: string[]
  /** Services to restart even if unchanged (`pulpo restart`). */
  restart?: string[]
}

/**
 * Desired vs actual → what to do, per service. Pure: no I/O, so the plan can be tested as text.
 *
 * - not running → create; running with another config hash → update (the reasons name the fields);
 * - running but no longer desired → delete (only when acting on the whole project);
 * - a dependent restarts with its dependency only when it opted in (`restart: true`), as in Compose.
 */
export function reconcile(input: ReconcileInput): Plan {
  const actual = new Map(input.actual.map((a) => [a.name, a]))
  const desired = new Map(input.desired.map((d) => [d.name, d]))
  const scope = input.only ? closure(input.only, desired) : new Set(desired.keys())
  const changes = new Map<string, Change>()
  // Jobs: what something waits for to complete. A server that exited 0 (many do on SIGTERM) is drift.
  const jobs = new Set(input.desired.flatMap((d) => Object.entries(d.dependsOn).filter(([, o]) => o.condition === 'completed').map(([n]) => n)))

  for (const d of input.desired) {
    if (!scope.has(d.name)) continue
    const a = actual.get(d.name)
    // A job that ran to completion with this very config has done its work (unless a restart of
    // it is asked for: `pulpo restart job` runs it again).
    if (a?.state === 'exited' && a.exitCode === 0 && a.hash === d.hash && jobs.has(d.name) && !input.restart?.includes(d.name)) {
      changes.set(d.name, { service: d.name, action: 'noop', reasons: [] })
      continue
    }
    if (!isActive(a)) {
      changes.set(d.name, { service: d.name, action: 'create', reasons: [notRunning(a)] })
      continue
    }
    const fields = a!.fingerprint ? changedFields(a!.fingerprint, d.fingerprint) : a!.hash !== d.hash ? ['config'] : []
    if (fields.length) changes.set(d.name, { service: d.name, action: 'update', reasons: fields.map((f) => `${f} changed`) })
    else if (input.restart?.includes(d.name)) changes.set(d.name, { service: d.name, action: 'update', reasons: ['restart requested'] })
    else changes.set(d.name, { service: d.name, action: 'noop', reasons: [] })
  }

  // Cascade restarts to dependents that asked for it, until nothing more changes.
  for (let changed = true; changed; ) {
    changed = false
    for (const d of input.desired) {
      const c = changes.get(d.name)
      if (!c || c.action !== 'noop') continue
      const dep = Object.entries(d.dependsOn).find(([name, opt]) => opt.restart && (changes.get(name)?.action === 'update' || changes.get(name)?.action === 'create'))
      if (dep) {
        changes.set(d.name, { service: d.name, action: 'update', reasons: [`dependency ${dep[0]} restarts`] })
        changed = true
      }
    }
  }

  if (!input.only) {
    for (const a of input.actual) {
      if (desired.has(a.name) || !isActive(a)) continue
      changes.set(a.name, { service: a.name, action: 'delete', reasons: ['not in the configuration of this environment'] })
    }
  }

  const list = [...changes.values()].sort((x, y) => x.service.localeCompare(y.service))
  return { project: input.project, environment: input.environment, mode: input.mode, changes: list, summary: summarize(list) }
}

function notRunning(a: Actual | undefined): string {
  if (!a || a.state === 'absent') return 'not running'
  if (a.state === 'exited') return a.exitCode === undefined || a.exitCode === null ? 'not running (exited)' : `not running (exited with code ${a.exitCode})`
  return `not running (${a.state})`
}

/** The named services and everything they depend on, transitively. */
function closure(names: string[], desired: Map<string, Desired>): Set<string> {
  const out = new Set<string>()
  const add = (n: string) => {
    if (out.has(n) || !desired.has(n)) return
    out.add(n)
    for (const dep of Object.keys(desired.get(n)!.dependsOn)) add(dep)
  }
  names.forEach(add)
  return out
}
