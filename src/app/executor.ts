import { DependencyFailed, ServiceFailed, type Backend, type Progress, type ServiceResult } from '../backends/backend.js'
import type { Project } from '../config/types.js'
import { NotVisited, walk, type Outcome } from '../graph/traverse.js'
import type { WaitCondition } from '../plan/conditions.js'
import type { Plan, ResourceStep } from '../plan/plan.js'

export interface ExecuteOptions {
  progress: Progress
  signal?: AbortSignal
  /**
   * Carries out the resource steps of one service (its datamodels), once it is ready and before
   * any dependent that waits for it to be healthy starts. A rejection fails the service.
   */
  resources?(service: string, steps: ResourceStep[], progress: (text: string) => void): Promise<void>
}

/**
 * Carries out a plan with any backend: the one walk (compose's plan_executor + convergence).
 *
 * 1. What goes away or changes is stopped, dependents first, independent services together.
 * 2. What is desired is walked in dependency order with the one graph walker: a service starts as
 *    soon as each dependency meets the condition it waits for (started, healthy — and its
 *    resource steps done —, completed), then is waited for until ready; its resource steps follow.
 *    A service left running (noop) waits for nothing, and is waited for until ready. A failure
 *    skips what depends on it.
 * 3. A service that was started and is already gone again (no probe to catch it) did not come up.
 */
export async function execute(project: Project, backend: Backend, plan: Plan, opts: ExecuteOptions): Promise<ServiceResult[]> {
  const steps = new Map(plan.steps.map((s) => [s.service, s]))
  const resources = (service: string) => plan.resources.filter((r) => r.service === service && r.action !== 'noop')
  const results: ServiceResult[] = []
  // Jobs: what something waits for to complete. `up` waits for a job to complete, not merely to
  // start, so that one that exits non-zero is a failure and one that exits 0 is said to be done.
  const jobs = new Set(Object.values(project.services).flatMap((s) => Object.entries(s.dependsOn).filter(([, d]) => d.condition === 'completed').map(([d]) => d)))
  // A service whose start never got under way ran nothing in this attempt: what its log holds is
  // an earlier run's, which a user would take for this failure's output.
  const unstarted = new Set<string>()
  const tail = (service: string) => (unstarted.has(service) ? Promise.resolve(undefined) : backend.tail(project, service).catch(() => []))
  try {
    await backend.prepare(project, plan, opts.signal)
  } catch (e) {
    // Ctrl-C reaches the commands of prepare too (a `docker network create` cut short fails with
    // nothing to say): an interrupted prepare is an interrupted up, every service not started.
    // The command may be seen to end before this process's own handler ran: it runs first.
    if (!opts.signal?.aborted) await new Promise((r) => setImmediate(r))
    if (!opts.signal?.aborted) throw e
  }
  try {
    // 1. Stop, dependents first; only what goes away is reported as finished here.
    const stopping = plan.steps.filter((s) => s.action === 'delete' || s.action === 'update').map((s) => s.service)
    const stopped = await stopInOrder(stopping, (n) => Object.keys(steps.get(n)!.after), opts.progress, (n) => backend.stop(project, n, { remove: steps.get(n)!.action === 'delete' }), (n) => steps.get(n)!.action === 'delete')
    for (const n of stopping.filter((s) => steps.get(s)!.action === 'delete')) {
      const r = await toResult(n, 'delete', stopped.get(n)!, 0, tail)
      results.push(r.status === 'done' ? { ...r, outcome: 'stopped' } : r)
    }

    // 2. Start in dependency order.
    const starting = plan.steps.filter((s) => s.action !== 'delete')
    const began = new Map<string, number>()
    // Resolved once the backend has the start under way: only then can the service be waited for.
    const requested = new Map(starting.map((s) => [s.service, deferred()]))
    // Resolved once a service is ready and its resource steps are done: what `healthy` waits for.
    const prepared = new Map(starting.map((s) => [s.service, deferred()]))
    // The dependencies a backend that holds starts (startAfter) waits for itself, by dependent.
    const held = new Map<string, Record<string, WaitCondition>>()
    const prepare = async (n: string) => {
      const mine = resources(n)
      if (mine.length && opts.resources) await opts.resources(n, mine, (text) => opts.progress.update(n, text))
      prepared.get(n)!.resolve()
    }
    const outcomes = await walk({
      nodes: starting.map((s) => s.service),
      direction: 'up',
      signal: opts.signal,
      dependsOn: (n) => Object.keys(steps.get(n)!.after),
      gate: async (n, dep, visited) => {
        // A service left running is not held back by its dependencies.
        if (steps.get(n)!.action === 'noop') return
        const condition = steps.get(n)!.after[dep]
        // A dependency that fails fails its dependents at once, whatever they wait for.
        const failed = visited.then(() => new Promise<never>(() => {}))
        if (steps.get(dep)!.action !== 'noop') {
          opts.progress.update(n, `waiting for ${dep} (${condition})`)
          await Promise.race([requested.get(dep)!.promise, failed])
        }
        // Once the dependency's start is under way, a backend that can hold the start decides the
        // condition itself (no round trip to this process per level), unless the dependency's
        // resource steps must come in between.
        if (backend.startAfter && !(condition === 'healthy' && resources(dep).length)) {
          held.set(n, { ...held.get(n), [dep]: condition })
          return
        }
        try {
          await Promise.race([backend.waitFor(project, dep, condition, opts.signal), failed])
        } catch (e) {
          // The dependency's own turn sees the same failure: let it be decided first, so that the
          // dependent is said to be skipped because its dependency failed.
          await visited.catch(() => {})
          throw e
        }
        if (condition === 'healthy') await Promise.race([prepared.get(dep)!.promise, failed])
      },
      visit: async (n) => {
        const step = steps.get(n)!
        if (step.action === 'noop') {
          // Left running, it is still waited for until ready (an up that finds it starting does not
          // call it up before it is), and its resources are brought up to date once it answers.
          await backend.waitFor(project, n, 'ready', opts.signal)
          return prepare(n)
        }
        const after = held.get(n)
        const progress = (text: string) => opts.progress.update(n, text)
        let started = false
        try {
          if (after && backend.startAfter) {
            progress(`waiting for ${Object.entries(after).map(([d, c]) => `${d} (${c})`).join(', ')}`)
            await backend.startAfter(project, step, after, { signal: opts.signal, progress, accepted: () => requested.get(n)!.resolve() })
          } else {
            began.set(n, Date.now())
            progress('starting')
            await backend.start(project, step, { signal: opts.signal, progress })
          }
          started = true
          if (!began.has(n)) began.set(n, Date.now())
          requested.get(n)!.resolve()
          const probe = project.services[n]?.ready
          if (jobs.has(n)) opts.progress.update(n, 'running until it completes')
          else if (probe) opts.progress.update(n, `waiting until ready (${probe.kind})`)
          await backend.waitFor(project, n, jobs.has(n) ? 'completed' : 'ready', opts.signal)
          await prepare(n)
        } catch (e) {
          // A held start that did not happen is skipped, as a gate would have skipped it.
          if (e instanceof DependencyFailed) throw new NotVisited(e.dependency, e.reason)
          if (after && !started && opts.signal?.aborted) throw new NotVisited()
          if (!started) unstarted.add(n)
          opts.progress.done(await toResult(n, step.action, { status: 'failed', error: e }, 0, tail))
          throw e
        }
        opts.progress.done({ service: n, status: 'done', action: step.action, ms: Date.now() - began.get(n)!, outcome: jobs.has(n) ? 'completed' : 'ready' })
      },
    })

    // 3. A service without a probe counts as up once started; one that already died did not come up.
    const gone = new Map((await backend.observe(project).catch(() => ({ actual: [] }))).actual.filter((a) => a.state === 'exited' && a.exitCode !== 0 && a.exitCode !== undefined).map((a) => [a.name, a]))
    for (const s of starting) {
      let o = outcomes.get(s.service)!
      const a = gone.get(s.service)
      if (o.status === 'done' && s.action !== 'noop' && a) o = { status: 'failed', error: new Error(a.failure ?? `exited with code ${a.exitCode}`) }
      const r = await toResult(s.service, s.action, o, Date.now() - (began.get(s.service) ?? Date.now()), tail)
      results.push(r.status === 'done' ? { ...r, outcome: jobs.has(s.service) ? 'completed' : 'ready' } : r)
    }
    return results
  } finally {
    await backend.finish?.(project, plan)
  }
}

/**
 * Stops services in reverse dependency order (dependents first), independent ones together;
 * `report` says which stops are shown as finished rows (the others are restarts in progress).
 */
export async function stopInOrder(names: string[], dependsOn: (n: string) => string[], progress: Progress, stop: (n: string) => Promise<void>, report: (n: string) => boolean = () => true): Promise<Map<string, Outcome>> {
  if (!names.length) return new Map()
  return walk({
    nodes: names,
    direction: 'down',
    dependsOn,
    visit: async (n) => {
      progress.update(n, 'stopping')
      await stop(n)
      if (report(n)) progress.done({ service: n, status: 'done', action: 'stop', ms: 0 })
    },
  })
}

/**
 * A service's outcome as a result; a failure comes with its last log lines (`tail`: undefined when
 * nothing of it ran in this attempt) and its hints.
 */
export async function toResult(service: string, action: string, o: Outcome, ms: number, tail: (service: string) => Promise<string[] | undefined>): Promise<ServiceResult> {
  if (o.status === 'done') return { service, status: 'done', action, ms }
  if (o.status === 'skipped') return { service, status: 'skipped', action, reason: o.reason === 'interrupted' ? 'interrupted' : `not started: ${o.reason}` }
  const e = o.error as Error
  // What the user can do about it (a port held by another process: who holds it).
  const hints = e instanceof ServiceFailed && e.hints.length ? { hints: e.hints } : {}
  const logs = await tail(service)
  return { service, status: 'failed', action, reason: e?.message ?? String(o.error), logs: logs ?? [], ...(logs ? {} : { started: false as const }), ...hints }
}

function deferred() {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}
