import { fieldChanges } from './fields.js'
import { isActive, summarize, type Actual, type Desired, type Plan, type Reason, type ResourceStep, type Step } from './plan.js'

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
  /** Services of the file that this environment disables (`enabled: false`): said so when they run. */
  disabled?: string[]
  /** Steps on resources inside services (datamodels), planned by their own observer. */
  resources?: ResourceStep[]
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
  const changes = new Map<string, Step>()
  // Jobs: what something waits for to complete. A server that exited 0 (many do on SIGTERM) is drift.
  const jobs = new Set(input.desired.flatMap((d) => Object.entries(d.dependsOn).filter(([, o]) => o.condition === 'completed').map(([n]) => n)))

  for (const d of input.desired) {
    if (!scope.has(d.name)) continue
    const a = actual.get(d.name)
    // A job that ran to completion with this very config has done its work (unless a restart of
    // it is asked for: `pulpo restart job` runs it again).
    if (a?.state === 'exited' && a.exitCode === 0 && a.hash === d.hash && jobs.has(d.name) && !input.restart?.includes(d.name)) {
      changes.set(d.name, { service: d.name, action: 'noop', causes: [], after: after(d) })
      continue
    }
    if (!isActive(a)) {
      changes.set(d.name, { service: d.name, action: 'create', causes: [notRunning(a)], after: after(d) })
      continue
    }
    const how = a!.fingerprint ? fieldChanges(a!.fingerprint, d.fingerprint, a!.shown, d.shown) : a!.hash !== d.hash ? [{ field: 'config', change: 'changed' as const }] : []
    if (how.length) changes.set(d.name, { service: d.name, action: 'update', causes: [{ kind: 'changed', fields: how.map((c) => c.field), changes: how }], after: after(d) })
    else if (input.restart?.includes(d.name)) changes.set(d.name, { service: d.name, action: 'update', causes: [{ kind: 'requested' }], after: after(d) })
    else changes.set(d.name, { service: d.name, action: 'noop', causes: [], after: after(d) })
  }

  // Cascade restarts to dependents that asked for it, until nothing more changes — also to those
  // outside `only` (`pulpo restart db`, `up db`) that run: they opted in to restart with it.
  for (let changed = true; changed; ) {
    changed = false
    for (const d of input.desired) {
      const c = changes.get(d.name)
      if (c ? c.action !== 'noop' : !isActive(actual.get(d.name))) continue
      const dep = Object.entries(d.dependsOn).find(([name, opt]) => opt.restart && (changes.get(name)?.action === 'update' || changes.get(name)?.action === 'create'))
      if (dep) {
        changes.set(d.name, { service: d.name, action: 'update', causes: [{ kind: 'dependency', name: dep[0] }], after: after(d) })
        changed = true
      }
    }
  }

  if (!input.only) {
    for (const a of input.actual) {
      if (desired.has(a.name) || !isActive(a)) continue
      changes.set(a.name, { service: a.name, action: 'delete', causes: [{ kind: 'removed', ...(input.disabled?.includes(a.name) ? { disabledIn: input.environment } : {}) }], after: {} })
    }
  }

  const steps = [...changes.values()].sort((x, y) => x.service.localeCompare(y.service))
  // A resource's step belongs to the plan when its service is in it (and is not going away).
  const resources = (input.resources ?? []).filter((r) => changes.get(r.service) && changes.get(r.service)!.action !== 'delete').sort((x, y) => x.id.localeCompare(y.id))
  return { project: input.project, environment: input.environment, mode: input.mode, steps, resources, summary: summarize(steps) }
}

const after = (d: Desired): Step['after'] => Object.fromEntries(Object.entries(d.dependsOn).map(([name, o]) => [name, o.condition ?? 'started']))

function notRunning(a: Actual | undefined): Reason {
  if (!a || a.state === 'absent') return { kind: 'absent' }
  return { kind: 'drift', observed: a.state, ...(a.exitCode !== undefined ? { exitCode: a.exitCode } : {}) }
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
