import { rmSync } from 'node:fs'
import net from 'node:net'
import type { Project } from '../../config/types.js'
import { PulpoError } from '../../errors.js'
import { walk, type Outcome } from '../../graph/traverse.js'
import type { Actual, Change, Plan } from '../../plan/plan.js'
import { tailLines } from '../../util/tail.js'
import type { ApplyOptions, Backend, ServiceResult } from '../backend.js'
import { ensureSupervisor, request } from './client.js'
import { followLogs } from './logs.js'
import { fromStateFile, observe, toActual } from './observe.js'
import { StateDir } from '../../project/paths.js'
import { groupMembers, isAlive, portHolder } from '../../util/procfs.js'
import type { ServiceView } from './protocol.js'
import { processSpec, type ProcessSpec } from './spec.js'

/** Lines of a failed service's log shown with its error. */
export const FAILURE_LOG_LINES = 20

/** Services as supervised local processes. */
export class LocalBackend implements Backend {
  async observe(project: Project) {
    const dirs = new StateDir(project.dir)
    const o = await observe(dirs)
    const notes = o.supervisor || !o.services.some((s) => s.status === 'running') ? [] : ['the pulpo supervisor is not running: health is unknown and crashed services are not restarted; `pulpo up` starts it again']
    return { actual: o.services.map(toActual), notes }
  }

  async apply(project: Project, plan: Plan, opts: ApplyOptions): Promise<ServiceResult[]> {
    const dirs = new StateDir(project.dir)
    const changes = new Map(plan.changes.map((c) => [c.service, c]))
    const specs = new Map<string, ProcessSpec>()
    for (const c of plan.changes) {
      if (c.action === 'create' || c.action === 'update') specs.set(c.service, processSpec(project.services[c.service], project, dirs))
    }
    await ensureSupervisor(dirs, project.dir)
    const results: ServiceResult[] = []

    // 1. Stop what goes away or changes, dependents first.
    const stopping = plan.changes.filter((c) => c.action === 'delete' || c.action === 'update').map((c) => c.service)
    const stopped = await this.stopInOrder(project, stopping, opts, (n) => this.stopOne(dirs, n, changes.get(n)!.action === 'delete'), (n) => changes.get(n)!.action === 'delete')
    results.push(...stopped.filter((r) => changes.get(r.service)!.action === 'delete').map((r) => ({ ...r, action: 'delete' })))

    // 2. Start in dependency order: each as soon as its conditions hold.
    const starting = plan.changes.filter((c) => c.action !== 'delete')
    const began = new Map<string, number>()
    // Resolved once the supervisor has taken a service's start request: only then can one wait on it.
    const requested = new Map(starting.map((c) => [c.service, deferred()]))
    // Resolved once a service is ready and prepared (afterReady): what `healthy` dependents wait for.
    const prepared = new Map(starting.map((c) => [c.service, deferred()]))
    const prepare = async (n: string) => {
      if (opts.afterReady) await opts.afterReady(n, (text) => opts.progress.update(n, text))
      prepared.get(n)!.resolve()
    }
    const outcomes = await walk({
      nodes: starting.map((c) => c.service),
      direction: 'up',
      signal: opts.signal,
      dependsOn: (n) => Object.keys(project.services[n].dependsOn),
      gate: async (n, dep, visited) => {
        // A service left running is not held back by its dependencies.
        if (changes.get(n)!.action === 'noop') return
        const condition = project.services[n].dependsOn[dep].condition
        // A dependency that fails fails its dependents at once, whatever they wait for.
        const failed = visited.then(() => new Promise<never>(() => {}))
        if (changes.get(dep)?.action !== 'noop') {
          opts.progress.update(n, `waiting for ${dep} (${condition})`)
          await Promise.race([requested.get(dep)!.promise, failed])
        }
        await Promise.race([this.wait(dirs, dep, condition, opts.signal), failed])
        if (condition === 'healthy') await Promise.race([prepared.get(dep)!.promise, failed])
      },
      visit: async (n) => {
        const c = changes.get(n)!
        if (c.action === 'noop') {
          if (opts.afterReady) {
            await this.wait(dirs, n, 'ready', opts.signal)
            await prepare(n)
          }
          return prepared.get(n)!.resolve()
        }
        began.set(n, Date.now())
        const spec = specs.get(n)!
        try {
          await this.checkPort(spec)
          opts.progress.update(n, 'starting')
          const res = await request(dirs, { op: 'start', spec })
          if (!res?.ok) throw new PulpoError('supervisor', `the supervisor did not take ${n}: ${res && !res.ok ? res.error : 'no answer'}`)
          requested.get(n)!.resolve()
          if (spec.probe) opts.progress.update(n, `waiting until ready (${spec.probe.kind})`)
          await this.wait(dirs, n, 'ready', opts.signal)
          await prepare(n)
        } catch (e) {
          opts.progress.done(toResult(n, c.action, { status: 'failed', error: e }, 0, dirs))
          throw e
        }
        opts.progress.done({ service: n, status: 'done', action: c.action, ms: Date.now() - began.get(n)! })
      },
    })
    // A service without a probe counts as up once started; one that already died did not come up.
    const status = await request(dirs, { op: 'status' })
    const views = new Map((status?.ok ? status.services ?? [] : []).map((v) => [v.name, v]))
    for (const c of starting) {
      let o = outcomes.get(c.service)!
      const v = views.get(c.service)
      if (o.status === 'done' && c.action !== 'noop' && v?.status === 'exited' && v.exitCode !== 0) o = { status: 'failed', error: new Error(v.failure ?? `exited with code ${v.exitCode}`) }
      results.push(toResult(c.service, c.action, o, Date.now() - (began.get(c.service) ?? Date.now()), dirs))
    }
    return results
  }

  async down(project: Project, services: string[], opts: ApplyOptions & { volumes: boolean }): Promise<ServiceResult[]> {
    const dirs = new StateDir(project.dir)
    const o = await observe(dirs)
    const known = o.services.map((s) => s.name)
    const targets = services.length ? services.filter((s) => known.includes(s)) : known
    // Without a supervisor, what its state file says still runs is stopped straight through /proc.
    const views = o.supervisor ? undefined : new Map(fromStateFile(dirs).map((v) => [v.name, v]))
    const results = await this.stopInOrder(project, targets, opts, (n) =>
      views ? killGroup(views.get(n)!, project.services[n]?.stop ?? { signal: 'SIGTERM', timeoutMs: 10_000 }) : this.stopOne(dirs, n, true),
    )
    if (!services.length) {
      if (o.supervisor) await request(dirs, { op: 'shutdown' })
      else rmSync(dirs.state, { force: true })
    }
    if (opts.volumes) {
      if (services.length) for (const s of services) rmSync(dirs.data(s), { recursive: true, force: true })
      else rmSync(dirs.dataRoot, { recursive: true, force: true })
    } else {
      // Only `persist: true` data survives down (the contract): without it a service's data dir is
      // scratch space that lives as long as its process, like a container's own filesystem.
      for (const r of results) if (r.status === 'done' && !project.services[r.service]?.persist) rmSync(dirs.data(r.service), { recursive: true, force: true })
    }
    return results
  }

  logs(project: Project, services: string[], opts: { follow: boolean; tail: number; signal: AbortSignal; write(line: string): void }) {
    const dirs = new StateDir(project.dir)
    const names = services.length ? services : Object.keys(project.services)
    return followLogs(names.map((n) => ({ name: n, file: dirs.log(n) })), opts)
  }

  /**
   * Stops services in reverse dependency order (dependents first), independent ones together;
   * `report` says which stops are shown as finished rows (the others are restarts in progress).
   */
  private async stopInOrder(project: Project, names: string[], opts: ApplyOptions, stop: (name: string) => Promise<void>, report: (name: string) => boolean = () => true): Promise<ServiceResult[]> {
    if (!names.length) return []
    const dirs = new StateDir(project.dir)
    const outcomes = await walk({
      nodes: names,
      direction: 'down',
      dependsOn: (n) => Object.keys(project.services[n]?.dependsOn ?? {}),
      visit: async (n) => {
        opts.progress.update(n, 'stopping')
        await stop(n)
        if (report(n)) opts.progress.done({ service: n, status: 'done', action: 'stop', ms: 0 })
      },
    })
    return names.map((n) => toResult(n, 'stop', outcomes.get(n)!, 0, dirs))
  }

  private async stopOne(dirs: StateDir, name: string, forget: boolean) {
    const res = await request(dirs, { op: 'stop', name, forget })
    if (!res?.ok) throw new PulpoError('supervisor', `could not stop ${name}: ${res && !res.ok ? res.error : 'the supervisor did not answer'}`)
  }

  private async wait(dirs: StateDir, name: string, condition: 'started' | 'healthy' | 'completed' | 'ready', signal?: AbortSignal) {
    const res = await request(dirs, { op: 'wait', name, condition }, signal)
    if (res?.ok) return
    throw new ServiceFailed(name, res ? res.error : 'the supervisor did not answer')
  }

  /** A port held by something else is reported before starting, with the holder when visible. */
  private async checkPort(spec: ProcessSpec) {
    if (spec.port === undefined) return
    const host = spec.bind
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer()
      srv.once('error', () => resolve(false))
      srv.listen({ host, port: spec.port, exclusive: true }, () => srv.close(() => resolve(true)))
    })
    if (free) return
    const holder = portHolder(spec.port)
    throw new ServiceFailed(spec.name, `port ${spec.port} is already in use${holder ? ` by pid ${holder.pid} (${holder.command})` : ''}`, ['stop what holds it, or give the service another port'])
  }
}

function deferred() {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

/** A service that did not come up: why, for the summary. */
export class ServiceFailed extends Error {
  constructor(readonly service: string, reason: string, readonly hints: string[] = []) {
    super(reason)
  }
}

function toResult(service: string, action: string, o: Outcome, ms: number, dirs: StateDir): ServiceResult {
  if (o.status === 'done') return { service, status: 'done', action, ms }
  if (o.status === 'skipped') return { service, status: 'skipped', action, reason: o.reason === 'interrupted' ? 'interrupted' : `not started: ${o.reason}` }
  const e = o.error as Error
  // What the user can do about it (a port held by another process: who holds it).
  const hints = e instanceof ServiceFailed && e.hints.length ? { hints: e.hints } : {}
  return { service, status: 'failed', action, reason: e?.message ?? String(o.error), logs: tailLines(dirs.log(service), FAILURE_LOG_LINES), ...hints }
}

/** Stops a process group without the supervisor: its signal, then SIGKILL after the timeout. */
async function killGroup(v: ServiceView, stop: { signal: string; timeoutMs: number }) {
  if (!v.pid || !isAlive(v.pid, v.startTime)) return
  const pgid = v.pid
  const send = (sig: string) => {
    try {
      process.kill(-pgid, sig as NodeJS.Signals)
    } catch {}
  }
  send(stop.signal)
  const deadline = Date.now() + stop.timeoutMs
  while (isAlive(v.pid, v.startTime) || groupMembers(pgid).length) {
    if (Date.now() > deadline) {
      send('SIGKILL')
      if (Date.now() > deadline + 5000) break
    }
    await new Promise((r) => setTimeout(r, 50))
  }
}

export type { Actual, Change }
