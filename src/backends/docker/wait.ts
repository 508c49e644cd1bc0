import { hasHealthcheck } from '../../compile/compose.js'
import { DEFAULT_SETTLE_MS } from '../../config/service.js'
import type { Project } from '../../config/types.js'
import { evaluate, type Lifecycle, type WaitCondition } from '../../plan/conditions.js'
import { tcpOpen } from '../../probes/attempt.js'
import { describeProbe } from '../../probes/probe.js'
import { ServiceFailed } from '../backend.js'
import { docker } from './engine.js'
import { ContainerEvents } from './events.js'
import { containers, type Container } from './observe.js'

/**
 * Waits on the project's containers for the executor: one `docker events` process and one shared
 * look at the containers per event, however many services wait at once (each look starts two
 * Docker CLI processes, which cost more CPU than compose itself on a busy machine).
 */
export class ContainerWatch {
  private events: ContainerEvents
  private last?: { generation: number; at: number; containers: Promise<Container[]> }
  private logSeen = new Set<string>()

  constructor(private project: Project, onEvent: (service: string, text: string) => void) {
    this.events = new ContainerEvents(project.name, onEvent)
  }

  close() {
    this.events.close()
  }

  /** The project's containers; looked at again only after an event, or after a short while. */
  private look(): Promise<Container[]> {
    const fresh = this.last && this.last.generation === this.events.generation && Date.now() - this.last.at < 150
    if (!fresh) this.last = { generation: this.events.generation, at: Date.now(), containers: containers(this.project.name) }
    return this.last!.containers
  }

  /**
   * Resolves once the service's container meets the condition, decided by the one condition code.
   * Readiness is its healthcheck, or for a `log` probe its line (read from the host: nothing in a
   * container can read its own log), or for `tcp` without a healthcheck the published port. Only
   * readiness has a deadline (the probe's timeout, plus time to start): a job may run long.
   */
  async waitFor(service: string, condition: WaitCondition, signal?: AbortSignal, createError?: string): Promise<void> {
    const svc = this.project.services[service]
    const probe = svc?.ready
    const timeoutMs = probe?.timeoutMs ?? 60_000
    const deadline = Date.now() + timeoutMs + 5000
    for (;;) {
      if (signal?.aborted) throw new ServiceFailed(service, 'interrupted')
      const seen = this.events.generation
      const found = (await this.look()).filter((c) => c.service === service)
      // Compose may keep one-off or old containers of a service: the running one speaks for it.
      const c = found.find((x) => x.state === 'running') ?? found[0]
      if (createError && (!c || c.state === 'created')) throw new ServiceFailed(service, createError)
      const l = await this.lifecycle(service, c)
      const verdict = evaluate(condition, l)
      if (verdict === 'ok') return
      if (verdict !== 'pending') throw new ServiceFailed(service, verdict.fail)
      const ready = condition === 'ready' || condition === 'healthy'
      if (Date.now() > deadline && (ready || c?.state === 'created')) {
        throw new ServiceFailed(service, c?.state === 'created' ? 'its container was created but never started' : `not ready after ${Math.round(timeoutMs / 1000)}s`)
      }
      // Look again when a container event comes (start, health, exit), else after a while: soon
      // for what no event announces (a log line, a published port), and for deadlines.
      const quiet = probe?.kind === 'log' || probe?.kind === 'tcp' ? 200 : 1000
      if (this.events.generation === seen) await this.events.next(quiet, signal)
    }
  }

  /** A container in the terms conditions are decided on. */
  private async lifecycle(service: string, c: Container | undefined): Promise<Lifecycle> {
    const svc = this.project.services[service]
    const probe = svc?.ready
    if (!c) return { status: 'absent', health: 'unknown', hasProbe: false, failure: 'no container was created' }
    const hostProbe = !c.health && (probe?.kind === 'log' || probe?.kind === 'tcp')
    const hasProbe = c.health !== undefined || hostProbe
    if (c.state === 'exited' || c.state === 'dead') return { status: 'exited', health: 'unknown', exitCode: c.exitCode, hasProbe, failure: `exited with code ${c.exitCode}` }
    if (c.state === 'created') return { status: 'created', health: 'unknown', hasProbe }
    if (c.state === 'restarting') return { status: 'starting', health: 'unknown', hasProbe, restarting: true, exitCode: c.exitCode }
    if (c.state !== 'running') return { status: 'stopped', health: 'unknown', hasProbe }
    let health: Lifecycle['health'] = c.health === 'healthy' ? 'healthy' : c.health === 'unhealthy' ? 'unhealthy' : 'unknown'
    if (hostProbe && probe?.kind === 'log') {
      if (!this.logSeen.has(c.id) && (await logMatches(c.id, probe.pattern))) this.logSeen.add(c.id)
      health = this.logSeen.has(c.id) ? 'healthy' : 'unknown'
    } else if (hostProbe && probe?.kind === 'tcp') health = (await tcpOpen('127.0.0.1', probe.port === svc?.port ? (typeof svc?.publish === 'number' ? svc.publish : probe.port) : probe.port, 1000)) ? 'healthy' : 'unknown'
    const unhealthy = health === 'unhealthy' ? { failure: `unhealthy (${svc?.ready && hasHealthcheck(svc) ? describeProbe(svc.ready) : 'healthcheck'})` } : {}
    const upMs = c.startedAt ? Date.now() - Date.parse(c.startedAt) : undefined
    // A service of the user's own compose file has no pulpo.yaml entry: without a healthcheck it
    // settles like any service without a probe.
    const settleMs = svc?.settleMs ?? (c.health === undefined ? DEFAULT_SETTLE_MS : 0)
    // Docker restarts it at once (its backoff starts at 100 ms), so the `restarting` state may be
    // missed between two looks: a restart within the settle period is the same crash.
    if (!hasProbe && c.restartCount > 0 && upMs !== undefined && upMs < settleMs) {
      return { status: 'starting', health: 'unknown', hasProbe, restarting: true, exitCode: null, failure: `restarted ${c.restartCount} time${c.restartCount === 1 ? '' : 's'}` }
    }
    return { status: c.health === 'starting' ? 'starting' : 'running', health, hasProbe, ...unhealthy, ...(upMs !== undefined && !Number.isNaN(upMs) ? { upMs } : {}), settleMs }
  }
}

async function logMatches(container: string, pattern: string): Promise<boolean> {
  const r = await docker(['logs', container], { all: true })
  return String(r.all ?? '').split('\n').some((l) => new RegExp(pattern).test(l))
}
