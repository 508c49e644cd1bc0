import { LABEL } from '../../compile/compose.js'
import { DEPLOY_LABEL, FINGERPRINT_LABEL } from '../../compile/stack.js'
import type { Actual } from '../../plan/plan.js'
import { taskState, type SwarmService, type SwarmTask } from './engine.js'

/** What a swarm service is right now, for waiting, status and failures. */
export interface ServiceView {
  service: string
  job: boolean
  desired: number
  running: number
  /** Tasks of the service's current spec that are meant to run, and those that finished. */
  completed: number
  failedTasks: SwarmTask[]
  pending: SwarmTask[]
  /** Its tasks meant to run that run, and every task `docker service ps` lists (history included). */
  runningTasks: SwarmTask[]
  tasks: SwarmTask[]
  /**
   * Per replica slot, the tasks that failed or were rejected since its last other outcome, newest
   * first (a retry under way aside): what the slot's latest attempts came to.
   */
  failingRuns: SwarmTask[][]
  nodes: string[]
  image?: string
  /** Swarm's update state: updating, completed, rollback_started, rollback_completed, paused... */
  update?: string
  updateMessage?: string
  updateStartedAt?: string
  /** How many times pulpo deployed it (its label). */
  deployCount?: number
  /** Its spec was changed since pulpo's last deploy, by someone else. */
  drift: boolean
}

const PENDING = ['pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting', 'new', 'allocated']
const FAILED = ['failed', 'rejected']

/**
 * Each slot's latest failures in a row. `docker service ps` lists a slot's tasks newest first (its
 * history after the current one); one pending task ahead of them is the retry Swarm is making. A
 * slot whose newest task is to be removed (scaled away), or was shut down without failing (a
 * drained node), is not one any more; one whose newest task failed and is shut down is one Swarm
 * gave up on (its restart policy's max_attempts): failing all the more.
 */
function failingRuns(tasks: SwarmTask[]): SwarmTask[][] {
  const bySlot = new Map<string, SwarmTask[]>()
  for (const t of tasks) {
    const slot = slotOf(t)
    const list = bySlot.get(slot)
    if (list) list.push(t)
    else bySlot.set(slot, [t])
  }
  const live = [...bySlot.values()].filter((list) => {
    const desired = list[0].DesiredState.toLowerCase()
    return desired !== 'remove' && (!['shutdown', 'complete'].includes(desired) || FAILED.includes(taskState(list[0])))
  })
  return live.map((list) => {
    const from = list.length && PENDING.includes(taskState(list[0])) ? 1 : 0
    const run: SwarmTask[] = []
    for (const t of list.slice(from)) {
      if (!FAILED.includes(taskState(t))) break
      run.push(t)
    }
    return run
  })
}

/** A task's slot, `project_web.2` (by node for a global service), without the CLI's `\_ ` of history rows. */
const slotOf = (t: SwarmTask) => t.Name.trim().replace(/^\\_\s*/, '')

/** The pulpo service a swarm service is (its label), else undefined. */
export const serviceOf = (s: SwarmService) => s.Spec.Labels?.[LABEL.service]

/** A swarm service and its tasks, summed up. */
export function viewOf(s: SwarmService, tasks: SwarmTask[]): ServiceView {
  const name = s.Spec.Name
  const mine = tasks.filter((t) => slotOf(t).startsWith(`${name}.`))
  const job = !!s.Spec.Mode?.ReplicatedJob
  const desired = job ? (s.Spec.Mode?.ReplicatedJob?.TotalCompletions ?? 1) : (s.Spec.Mode?.Replicated?.Replicas ?? 1)
  const live = mine.filter((t) => t.DesiredState.toLowerCase() === 'running')
  const running = live.filter((t) => taskState(t) === 'running')
  const completed = mine.filter((t) => taskState(t) === 'complete')
  return {
    service: serviceOf(s) ?? name,
    job,
    desired,
    running: running.length,
    completed: completed.length,
    failedTasks: mine.filter((t) => ['failed', 'rejected'].includes(taskState(t))),
    pending: live.filter((t) => PENDING.includes(taskState(t))),
    runningTasks: running,
    tasks: mine,
    failingRuns: failingRuns(mine),
    nodes: [...new Set(running.map((t) => t.Node))].sort(),
    image: s.Spec.TaskTemplate?.ContainerSpec?.Image,
    ...(s.Spec.Labels?.[DEPLOY_LABEL] ? { deployCount: Number(s.Spec.Labels[DEPLOY_LABEL]) } : {}),
    drift: changedByHand(s),
    ...(s.UpdateStatus?.State ? { update: s.UpdateStatus.State, updateMessage: s.UpdateStatus.Message, updateStartedAt: s.UpdateStatus.StartedAt } : {}),
  }
}

/**
 * Whether someone changed the spec since pulpo deployed it: its previous spec is pulpo's own
 * deploy (the same deploy count) and differs (a forced restart aside). A Swarm rollback of a
 * pulpo update is not drift: the counts differ.
 */
function changedByHand(s: SwarmService): boolean {
  const prev = s.PreviousSpec
  if (!prev || !s.Spec.Labels?.[DEPLOY_LABEL] || prev.Labels?.[DEPLOY_LABEL] !== s.Spec.Labels[DEPLOY_LABEL]) return false
  const norm = (spec: object) => JSON.stringify(spec, (k, v) => (k === 'ForceUpdate' ? undefined : v))
  return norm(s.Spec) !== norm(prev)
}

/** A swarm service in the planner's terms. */
export function toActual(s: SwarmService, v: ServiceView): Actual {
  let fingerprint: Record<string, string> | undefined
  try {
    fingerprint = JSON.parse(s.Spec.Labels?.[FINGERPRINT_LABEL] ?? '')
  } catch {
    fingerprint = undefined
  }
  // Changed by hand: a field the desired state never has, so the plan updates it back, saying why.
  if (fingerprint && v.drift) fingerprint = { ...fingerprint, 'spec (changed outside pulpo)': 'drift' }
  const base = { name: v.service, hash: v.drift ? 'drift' : s.Spec.Labels?.[LABEL.hash], ...(fingerprint ? { fingerprint } : {}), ports: [], restarts: Math.max(0, v.failedTasks.length), swarm: swarmInfo(v) }
  if (v.job) {
    const failed = v.failedTasks.length > 0 && v.completed < v.desired
    if (v.completed >= v.desired) return { ...base, state: 'exited', health: 'unknown', exitCode: 0 }
    if (failed && !v.pending.length && !v.running) return { ...base, state: 'exited', health: 'unknown', exitCode: 1, failure: v.failedTasks[0].Error || 'its task failed' }
    return { ...base, state: 'starting', health: 'unknown' }
  }
  const health = v.running >= v.desired && v.desired > 0 ? 'healthy' : 'unknown'
  const state = v.desired === 0 ? 'stopped' : v.running >= v.desired && v.update !== 'updating' && v.update !== 'rollback_started' ? 'running' : v.running > 0 || v.pending.length ? 'starting' : 'starting'
  return { ...base, state, health }
}

/** The v1.1 status fields: replicas, nodes, image, update state. */
export function swarmInfo(v: ServiceView) {
  return {
    replicas: { running: v.job ? v.completed : v.running, desired: v.desired },
    nodes: v.nodes,
    ...(v.image ? { image: v.image } : {}),
    update: updateWord(v),
    ...(v.drift ? { drift: true } : {}),
    ...failingTasks(v),
  }
}

/**
 * A service none of whose tasks runs while each slot's latest attempts failed, at least twice in a
 * row (a crash loop, or an image no node can pull): Swarm retries forever and its replicas only
 * say 0/1. Not one failure, which beside its replacement starting is a restart; not failures of
 * the slot's history before a task that ran or was replaced.
 */
function failingTasks(v: ServiceView): { failing?: { tasks: number; error: string } } {
  if (v.job || v.running || !v.desired || !v.failingRuns.length || v.failingRuns.some((run) => run.length < 2)) return {}
  const newest = v.failingRuns[0][0]
  return { failing: { tasks: v.failingRuns.reduce((n, run) => n + run.length, 0), error: newest.Error || newest.CurrentState } }
}

/** Swarm's update states in the contract's words: updating, completed, rolled_back, paused... */
function updateWord(v: ServiceView): string {
  switch (v.update) {
    case undefined:
      return 'completed'
    case 'rollback_completed':
      return 'rolled_back'
    case 'rollback_started':
      return 'rolling_back'
    default:
      return v.update
  }
}
