import type { Project } from '../../config/types.js'
import { hasHealthcheck } from '../../compile/compose.js'
import { evaluate, settleLeft, type Verdict, type WaitCondition } from '../../plan/conditions.js'
import { toMillis } from '../../util/duration.js'
import { describeProbe } from '../../probes/probe.js'
import { ServiceFailed } from '../backend.js'
import { taskState, type SwarmEngine } from './engine.js'
import { viewOf, type ServiceView } from './observe.js'
import { endedTasks, replicasLifecycle, replicasUpMs } from './settle.js'

/** A rolling update under way: what Swarm's update state said before pulpo asked for it. */
export interface Rollout {
  before?: string
}

const FAILED_UPDATE = new Set(['rollback_started', 'rollback_completed', 'rollback_paused', 'paused'])

/** The service as the cluster sees it now (undefined: no such service). */
export async function look(engine: SwarmEngine, project: Project, service: string): Promise<ServiceView | undefined> {
  const name = `${project.name}_${service}`
  const r = await engine.run(['service', 'inspect', name])
  if (r.exitCode !== 0) return undefined
  const [s] = JSON.parse(String(r.stdout))
  return viewOf(s, await engine.tasks([name]))
}

/**
 * How long a service may take: its probe's timeout (60s by default) and a margin, per round of a
 * rolling update (replicas / parallelism rounds, each with its monitor period).
 */
function budgetMs(project: Project, service: string, v: ServiceView | undefined, rolling: boolean): number {
  const s = project.services[service]
  const one = (s?.ready?.timeoutMs ?? 60_000) + 30_000
  if (!rolling || !s) return one
  const rounds = Math.ceil(Math.max(1, v?.desired ?? 1) / Math.max(1, s.deploy?.update?.parallelism || 1))
  return rounds * (one + toMillis(s.deploy?.update?.monitor, 5000))
}

/**
 * Waits for a condition on a swarm service: `started` (a task runs), `healthy`/`ready` (every
 * replica runs its current spec, past its healthcheck: Swarm holds a task in `starting` until it
 * is healthy, and a rolling update has completed; deployed afresh or left alone, each replica has
 * run `ready.settle` too, and for a service without a probe a task that exits meanwhile fails it),
 * `completed` (a job's tasks all completed). A rolled-back update, a failed job or a deadline
 * without progress fails with the tasks' errors.
 */
export async function waitForService(engine: SwarmEngine, project: Project, service: string, condition: WaitCondition, rollout: Rollout | undefined, signal?: AbortSignal, progress?: (text: string) => void): Promise<void> {
  let deadline = 0
  // Tasks that had ended before this wait: what a previous `up` saw is no news of this one.
  let before: Set<string> | undefined
  const firstSeen = new Map<string, number>()
  const started = new Map<string, { state: string; at: number }>()
  for (;;) {
    if (signal?.aborted) throw new ServiceFailed(service, 'interrupted')
    const v = await look(engine, project, service)
    deadline ||= Date.now() + budgetMs(project, service, v, !!rollout)
    if (!v) throw new ServiceFailed(service, 'its swarm service is gone')
    before ??= endedTasks(v)
    for (const t of v.runningTasks) if (!firstSeen.has(t.ID)) firstSeen.set(t.ID, Date.now())
    let pause = 1000
    const fresh = !rollout || (v.updateStartedAt !== undefined && v.updateStartedAt !== rollout.before)
    // A failed update is reported once Swarm has rolled it back, so "the previous version serves" is true.
    const rollingBack = v.update === 'rollback_started' && Date.now() < deadline
    if (rollout && fresh && v.update && FAILED_UPDATE.has(v.update) && !rollingBack) {
      const task = v.failedTasks[0]
      throw new ServiceFailed(service, `its update failed and Swarm rolled it back${v.updateMessage ? ` (${v.updateMessage})` : ''}${task?.Error ? `: ${task.Error}` : ''}`, [`the previous version serves again${v.update === 'rollback_completed' ? '' : ' once the rollback completes'}; see pulpo status`])
    }
    if (v.job) {
      if (v.completed >= v.desired) return
      const failed = v.failedTasks.find((t) => t.DesiredState.toLowerCase() !== 'running')
      if (failed && !v.pending.length && !v.running) throw new ServiceFailed(service, `its job failed: ${failed.Error || failed.CurrentState}`)
      if (condition === 'started' && (v.running || v.completed)) return
    } else if (condition === 'started' && v.running > 0) {
      return
    } else if (rollout) {
      // Swarm judges a rolling update's tasks itself: one that exits within its monitor period
      // (deploy.update.monitor) fails the update and Swarm rolls it back (above).
      if (fresh && v.update === 'completed' && v.running >= v.desired) return
    } else {
      const verdict = await comingUp(engine, project, service, v, condition, { history: before, firstSeen, started })
      if (verdict === 'ok') return
      if (typeof verdict === 'object') throw crashed(project, service, verdict.fail)
      if (typeof verdict === 'number') pause = Math.min(pause, Math.max(100, verdict))
      if (!v.running && cannotStartNow(v, before)) throw cannotStart(project, service, v)
    }
    progress?.(rollingBack ? 'update failed: rolling back' : v.job ? `job: ${v.completed}/${v.desired} completed` : `${v.running}/${v.desired} running${v.update === 'updating' ? ', updating' : ''}`)
    if (Date.now() > deadline) throw notReady(project, service, v, budgetMs(project, service, v, !!rollout))
    await new Promise((r) => setTimeout(r, pause))
  }
}

/**
 * A service deployed afresh (or left alone by the plan) coming up, decided by plan/conditions.ts
 * as in the other modes: 'ok', a failure, 'pending', or how long its replicas must still stay up
 * (ms). How long they have run is asked only once every replica runs and a settle period applies.
 */
async function comingUp(engine: SwarmEngine, project: Project, service: string, v: ServiceView, condition: WaitCondition, seen: { history: ReadonlySet<string>; firstSeen: ReadonlyMap<string, number>; started: Map<string, { state: string; at: number }> }): Promise<Verdict | number> {
  const s = project.services[service]
  const hasProbe = !!s && hasHealthcheck(s)
  const settleMs = s?.settleMs ?? 0
  let l = replicasLifecycle(v, { history: seen.history, hasProbe, settleMs })
  if (!l) return 'pending'
  if (l.status === 'running' && settleMs > 0) {
    // A running task's start does not change: asked once per task, the next look only confirms it runs.
    const ask = v.runningTasks.filter((t) => seen.started.get(t.ID)?.state !== 'running').map((t) => t.ID)
    for (const [id, st] of await engine.taskStates(ask)) seen.started.set(id, st)
    l = { ...l, upMs: replicasUpMs(v.runningTasks, seen.started, seen.firstSeen, Date.now()) }
  }
  const verdict = evaluate(condition, l)
  return verdict === 'pending' && settleLeft(l) > 0 ? settleLeft(l) : verdict
}

/** Its tasks keep exiting: Swarm restarts them forever, so waiting on would only repeat it. */
function crashed(project: Project, service: string, why: string): ServiceFailed {
  return new ServiceFailed(service, why, [
    `a service without a readiness probe must stay up ${(project.services[service]?.settleMs ?? 0) / 1000}s (ready.settle) to be ready; see pulpo logs ${service}`,
    'the service stays deployed for you to look at; pulpo up again after the fix, or pulpo down',
  ])
}

/**
 * A task Swarm rejects never ran: no node could create its container (an image it cannot pull, a
 * bind mount's missing source). Swarm retries it forever, so waiting out the deadline would only
 * delay the same answer: once every slot's latest attempts were rejected this many times in a row,
 * one of them during this wait, it is the answer.
 */
const REJECTED_IN_A_ROW = 3

function cannotStartNow(v: ServiceView, before: ReadonlySet<string>): boolean {
  const runs = v.failingRuns.map((run) => run.slice(0, REJECTED_IN_A_ROW))
  return runs.length > 0 && runs.every((run) => run.length === REJECTED_IN_A_ROW && run.every((t) => taskState(t) === 'rejected')) && runs.some((run) => run.some((t) => !before.has(t.ID)))
}

/** Words Docker and registries use for an image that cannot be had. */
const IMAGE_ERROR = /no such image|pull access denied|manifest unknown|manifest for .* not found|repository does not exist|unauthorized/i

function cannotStart(project: Project, service: string, v: ServiceView): ServiceFailed {
  const rejected = v.failingRuns.flat()
  const error = rejected.find((t) => t.Error)?.Error ?? 'rejected by its node'
  const image = IMAGE_ERROR.test(error)
  return new ServiceFailed(service, `its tasks cannot start (${rejected.length} rejected in a row, none running): ${error}`, [
    image
      ? `every node pulls ${v.image ? `the image ${v.image.replace(/@sha256:[0-9a-f]+$/, '')}` : 'its image'} from its registry: check its name and tag (for a built image, pulpo build --push)`
      : `see docker service ps --no-trunc ${project.name}_${service} on the manager`,
    'the service stays deployed for you to look at; pulpo up again after the fix, or pulpo down',
  ])
}

/**
 * Why a service is not ready, told apart: a task whose container runs but has not passed its
 * healthcheck (Swarm holds it in `starting`) is a program that does not answer where it is asked,
 * not a placement problem; a task that stays pending has no node to run on.
 */
function notReady(project: Project, service: string, v: ServiceView, budget: number): ServiceFailed {
  const head = `not ready after ${Math.round(budget / 1000)}s: ${v.running}/${v.desired} tasks running`
  const starting = v.pending.filter((t) => taskState(t) === 'starting')
  const probe = project.services[service]?.ready
  if (starting.length) {
    const check = probe ? ` (${describeProbe(probe)})` : ''
    return new ServiceFailed(service, `${head}; its task on ${starting[0].Node} started but has not passed its healthcheck${check}`, [
      `see pulpo logs ${service}; the program in the image must answer ${probe ? 'the check' : 'its healthcheck'} inside its container${probe && 'port' in probe ? `, on port ${probe.port}` : ''}`,
    ])
  }
  const why = [...v.pending.map((t) => t.Error).filter(Boolean), ...v.failedTasks.map((t) => t.Error).filter(Boolean)][0]
  return new ServiceFailed(service, `${head}${why ? `; ${v.pending.length ? 'pending' : 'a task failed'}: ${why}` : ''}`, v.pending.length ? ['a task that stays pending has no node that satisfies its placement and resources: see docker node ls, and the service’s deploy.placement'] : [])
}
