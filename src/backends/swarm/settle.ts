import type { Lifecycle } from '../../plan/conditions.js'
import { taskState, type SwarmTask } from './engine.js'
import type { ServiceView } from './observe.js'

/**
 * A replicated service's tasks in the terms conditions are decided on (plan/conditions.ts), so
 * that swarm mode calls a service ready as local and docker mode do: a run must stay up
 * `ready.settle`, and for a service without a probe a task that exits meanwhile is the answer
 * (`evaluate` says "restarting (crash loop)"), however many more times Swarm restarts it.
 */

/** States a task never leaves: one ended before a wait began is history, not news of it. */
const ENDED = ['failed', 'rejected', 'complete']

/** The service's ended tasks, by id: what a wait that begins now takes as history. */
export const endedTasks = (v: ServiceView): Set<string> => new Set(v.tasks.filter((t) => ENDED.includes(taskState(t))).map((t) => t.ID))

/**
 * A service's replicas as one lifecycle, or undefined while they are still coming (not every
 * replica runs). For a service without a probe, a task that failed or completed since the wait
 * began (`history`: what had ended before) is a run that did not stay up: Swarm restarts a
 * service's task whenever it exits, so even exit 0 is a run that ended. A probed service is waited
 * for through its restarts (its probe may pass next time), as `evaluate` does. A rejected task
 * never ran (no node could create its container): that is the wait's own "cannot start" rule, not
 * a crash. With every replica running, `upMs` is how long the most recently started one has run.
 */
export function replicasLifecycle(v: ServiceView, o: { history: ReadonlySet<string>; hasProbe: boolean; settleMs: number; upMs?: number }): Lifecycle | undefined {
  const exited = !o.hasProbe && v.tasks.find((t) => ['failed', 'complete'].includes(taskState(t)) && !o.history.has(t.ID))
  if (exited) return { status: 'starting', health: 'unknown', hasProbe: o.hasProbe, restarting: true, exitCode: null, failure: exitWords(exited) }
  // Scaled to zero (`replicas: 0`): nothing to wait for, ready as it is.
  if (v.desired === 0) return { status: 'running', health: 'healthy', hasProbe: o.hasProbe, settleMs: 0 }
  if (v.running < v.desired) return undefined
  return { status: 'running', health: 'healthy', hasProbe: o.hasProbe, settleMs: o.settleMs, ...(o.upMs !== undefined ? { upMs: o.upMs } : {}) }
}

/** What became of a task that ended: `its task on node2 exited with code 3`. */
function exitWords(t: SwarmTask): string {
  const where = t.Node ? ` on ${t.Node}` : ''
  if (taskState(t) === 'complete') return `its task${where} exited with code 0 (a service's task is restarted whenever it exits)`
  const code = /non-zero exit \((\d+)\)/.exec(t.Error)?.[1]
  return code ? `its task${where} exited with code ${code}` : `its task${where} failed: ${t.Error || t.CurrentState}`
}

/**
 * How long the replicas have run: the least, over the running tasks, of how long each has run by
 * its own clock (`startedAt`, the node's timestamp of its running state) or by this process's
 * looks (`firstSeen`, when a look first saw it run), whichever says longer: a node whose clock is
 * ahead of this machine's would otherwise hold the wait until the deadline. A task that no longer
 * runs has just started, as far as settling goes.
 */
export function replicasUpMs(tasks: SwarmTask[], started: ReadonlyMap<string, { state: string; at: number }>, firstSeen: ReadonlyMap<string, number>, now: number): number {
  let least = Infinity
  for (const t of tasks) {
    const s = started.get(t.ID)
    const byNode = s && s.state === 'running' && !Number.isNaN(s.at) ? now - s.at : 0
    const byLook = s && s.state !== 'running' ? 0 : now - (firstSeen.get(t.ID) ?? now)
    least = Math.min(least, Math.max(0, byNode, byLook))
  }
  return least === Infinity ? 0 : least
}

/**
 * How long a task has been in its current state at least, read from the CLI's words
 * (`Running 5 minutes ago`, `Running less than a second ago`; Docker's HumanDuration, which
 * rounds down): enough to tell a service observed running for minutes from one caught between
 * two crashes, without asking the manager again.
 */
export function stateAgeMs(t: SwarmTask): number {
  const state = t.CurrentState.trim()
  if (/less than a second ago$/i.test(state)) return 0
  const m = /(\d+|an?) (second|minute|hour|day|week|month|year)s? ago$/i.exec(state)
  if (!m) return 0
  const n = /^\d+$/.test(m[1]) ? Number(m[1]) : 1
  const unit = m[2].toLowerCase()
  // Hours and longer are rounded to the nearest: "About an hour" is half an hour at least.
  return unit === 'second' ? n * 1000 : unit === 'minute' ? n * 60_000 : 30 * 60_000
}
