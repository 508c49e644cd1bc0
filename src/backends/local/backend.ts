import { rmSync } from 'node:fs'
import type { Project } from '../../config/types.js'
import { PulpoError } from '../../errors.js'
import { stopInOrder, toResult } from '../../app/executor.js'
import type { WaitCondition } from '../../plan/conditions.js'
import { starts, type Plan, type Step } from '../../plan/plan.js'
import { tailLines } from '../../util/tail.js'
import { DependencyFailed, ServiceFailed, type Backend, type DownResult, type Progress, type ServiceResult } from '../backend.js'
import { ensureSupervisor, request } from './client.js'
import { followLogs } from './logs.js'
import { observe, toActual } from './observe.js'
import { keptUnreadable, unreadableNote } from './state-file.js'
import { stateDirOf, type StateDir } from '../../project/paths.js'
import { groupMembers, isAlive, portHolder } from '../../util/procfs.js'
import type { ServiceView } from './protocol.js'
import { KINDS } from '../../kinds/kinds.js'
import { localContext, processSpec, type ProcessSpec } from './spec.js'

/** Lines of a failed service's log shown with its error. */
export const FAILURE_LOG_LINES = 20

/** Services as supervised local processes. */
export class LocalBackend implements Backend {
  /** The supervisor on its way since `warm`. */
  private supervisor?: Promise<void>

  async observe(project: Project) {
    const dirs = stateDirOf(project)
    const o = await observe(dirs)
    const notes = o.supervisor || !o.services.some((s) => s.status === 'running') ? [] : ['the pulpo supervisor is not running: health is unknown and crashed services are not restarted; `pulpo up` starts it again']
    if (o.unreadable) notes.push(`${o.unreadable}: what it recorded is unknown, and services it started may still run unseen (ps shows them); \`pulpo up\` keeps it as state.json.unreadable`)
    notes.push(...unreadableNote(dirs))
    return { actual: o.services.map((v) => toActual(v)), notes }
  }

  warm(project: Project) {
    const dirs = stateDirOf(project)
    // Only when every service can run here (as prepare checks those of the plan): an up that
    // fails before it starts anything leaves no supervisor behind.
    try {
      for (const s of Object.values(project.services)) processSpec(s, project, dirs)
    } catch {
      return
    }
    this.supervisor = ensureSupervisor(dirs)
    // Awaited (and its failure reported) by prepare.
    this.supervisor.catch(() => {})
  }

  async prepare(project: Project, plan: Plan) {
    // Every spec is made first: a service that cannot run here (no command, no mongod) fails the
    // whole plan before anything is stopped.
    for (const step of plan.steps) if (starts(step)) processSpec(project.services[step.service], project, stateDirOf(project))
    const dirs = stateDirOf(project)
    await (this.supervisor ?? ensureSupervisor(dirs))
    // A supervisor that adopted services from the state file knows them without their environment.
    const left = plan.steps.filter((s) => s.action === 'noop' && project.services[s.service])
    if (left.length) await request(dirs, { op: 'refresh', specs: left.map((s) => processSpec(project.services[s.service], project, dirs)) })
  }

  async start(project: Project, step: Step) {
    const res = await request(stateDirOf(project), { op: 'start', spec: await startable(project, step) })
    if (!res?.ok) throw new PulpoError('supervisor', `the supervisor did not take ${step.service}: ${res && !res.ok ? res.error : 'no answer'}`)
  }

  /** The supervisor holds the start until the dependencies are ready, and spawns it then itself. */
  async startAfter(project: Project, step: Step, after: Record<string, WaitCondition>, opts: { signal?: AbortSignal; accepted(): void }) {
    const res = await request(stateDirOf(project), { op: 'start', spec: await startable(project, step), after }, opts.signal, opts.accepted)
    if (res?.ok) return
    if (res?.dependency) throw new DependencyFailed(step.service, res.dependency, res.error)
    throw new PulpoError('supervisor', `the supervisor did not start ${step.service}: ${res ? res.error : 'no answer'}`)
  }

  async stop(project: Project, service: string, opts: { remove: boolean }) {
    await this.stopOne(stateDirOf(project), service, opts.remove)
  }

  async waitFor(project: Project, name: string, condition: WaitCondition, signal?: AbortSignal) {
    const res = await request(stateDirOf(project), { op: 'wait', name, condition }, signal)
    if (res?.ok) return
    throw new ServiceFailed(name, res ? res.error : 'the supervisor did not answer')
  }

  async tail(project: Project, service: string) {
    const dirs = stateDirOf(project)
    // Only what it wrote since pulpo last started it: earlier runs' lines would mislead.
    const from = (await observe(dirs)).services.find((v) => v.name === service)?.logOffset ?? 0
    return tailLines(dirs.log(service), FAILURE_LOG_LINES, undefined, from)
  }

  async down(project: Project, services: string[], opts: { progress: Progress; volumes: boolean }): Promise<DownResult> {
    const dirs = stateDirOf(project)
    const o = await observe(dirs)
    const known = o.services.map((s) => s.name)
    const targets = services.length ? services.filter((s) => known.includes(s)) : known
    // Without a supervisor, what its state file says still runs is stopped straight through /proc.
    const views = o.supervisor ? undefined : new Map(o.services.map((v) => [v.name, v]))
    const outcomes = await stopInOrder(targets, (n) => Object.keys(project.services[n]?.dependsOn ?? {}), opts.progress, (n) =>
      views ? killGroup(views.get(n)!, project.services[n]?.stop ?? { signal: 'SIGTERM', timeoutMs: 10_000 }) : this.stopOne(dirs, n, true),
    )
    const results = await Promise.all(targets.map((n) => toResult(n, 'stop', outcomes.get(n)!, 0, (s) => this.tail(project, s))))
    if (!services.length) {
      if (o.supervisor) await request(dirs, { op: 'shutdown' })
      // A state file that cannot be read is kept, not removed with the others: it is all there
      // is of what may still run.
      else if (o.unreadable) keptUnreadable(dirs)
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
    return { results }
  }

  logs(project: Project, services: string[], opts: { follow: boolean; tail: number; signal: AbortSignal; write(line: string): void }) {
    const dirs = stateDirOf(project)
    const names = services.length ? services : Object.keys(project.services)
    return followLogs(names.map((n) => ({ name: n, file: dirs.log(n) })), opts)
  }

  private async stopOne(dirs: StateDir, name: string, forget: boolean) {
    const res = await request(dirs, { op: 'stop', name, forget })
    if (!res?.ok) throw new PulpoError('supervisor', `could not stop ${name}: ${res && !res.ok ? res.error : 'the supervisor did not answer'}`)
  }

}

/** A service's spec once what it needs is there: its port free, its kind's setup done. */
async function startable(project: Project, step: Step): Promise<ProcessSpec> {
  const dirs = stateDirOf(project)
  const service = project.services[step.service]
  const spec = processSpec(service, project, dirs)
  await checkPort(spec)
  // What must exist before it runs (a postgres data directory, initialised once).
  KINDS[service.kind].localSetup?.(localContext(service, project, dirs))
  return spec
}

/** A port held by something else is reported before starting, with the holder when visible. */
async function checkPort(spec: ProcessSpec) {
  if (spec.port === undefined) return
  const net = await import('node:net')
  const free = await new Promise<boolean>((resolve) => {
    const srv = net.createServer()
    srv.once('error', () => resolve(false))
    srv.listen({ host: spec.bind, port: spec.port, exclusive: true }, () => srv.close(() => resolve(true)))
  })
  if (free) return
  const holder = portHolder(spec.port)
  throw new ServiceFailed(spec.name, `port ${spec.port} is already in use${holder ? ` by pid ${holder.pid} (${holder.command})` : ''}`, ['stop what holds it, or give the service another port'])
}

/** Stops a process group without the supervisor: its signal, then SIGKILL after the timeout. */
async function killGroup(v: ServiceView, stop: { signal: string; timeoutMs: number }) {
  // A group of 1 or less is no service's: -1 would signal every process there is.
  if (!v.pid || v.pid <= 1 || !isAlive(v.pid, v.startTime)) return
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
