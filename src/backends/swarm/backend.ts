import { LABEL } from '../../compile/compose.js'
import { jobsOf, stackDoc, stackSecrets, stackYaml } from '../../compile/stack.js'
import type { Project } from '../../config/types.js'
import { PulpoError } from '../../errors.js'
import { walk } from '../../graph/traverse.js'
import { kubernetesImages } from '../../compile/index.js'
import { KINDS } from '../../kinds/kinds.js'
import type { WaitCondition } from '../../plan/conditions.js'
import type { Plan, Step } from '../../plan/plan.js'
import { interruptedRun, ServiceFailed, type Backend, type DownResult, type Progress, type ServiceResult } from '../backend.js'
import { pinData, removeData } from './data.js'
import { lastLine, SwarmEngine } from './engine.js'
import { serviceOf, toActual, viewOf, type ServiceView } from './observe.js'
import { stateAgeMs } from './settle.js'
import { look, waitForService, type Rollout } from './wait.js'

const LOG_LINES = 20

/** The swarm service of a pulpo service: `docker stack deploy` names it `<stack>_<service>`. */
export const swarmName = (project: Project, service: string) => `${project.name}_${service}`

/**
 * The images a swarm environment deploys: for a service with `build:`, the digest `pulpo build
 * --push` recorded for its current build context (`strict`: an error when there is none, as the
 * cluster cannot build); else `image:` as given, which the stack deploy resolves to a digest.
 */
export function deployedImages(project: Project, strict: boolean): Record<string, string | undefined> {
  const { images } = kubernetesImages(project)
  const pinned = Object.fromEntries(Object.entries(images).filter(([, v]) => v.includes('@')))
  const missing = Object.keys(images).filter((n) => !pinned[n])
  if (strict && missing.length) {
    throw new PulpoError('not-pushed', `no pushed image of the current build of ${missing.join(', ')} in environment '${project.environment}': a swarm deploys images from the registry, by digest`, { hints: [`run pulpo build --push -e ${project.environment} first`] })
  }
  return pinned
}

/**
 * Services on a Docker Swarm cluster, through its manager (`docker_host`). Each service is
 * deployed on its own with `docker stack deploy` (one service's stack file, the project as the
 * stack), so Swarm carries out the rolling update with its own update_config while pulpo keeps the
 * order: a service is deployed once its dependencies' tasks run healthy. A job (what something
 * waits for to complete) is a replicated-job service, deployed afresh each time it runs.
 */
export class SwarmBackend implements Backend {
  private engineOf(project: Project) {
    return new SwarmEngine(project.dockerHost)
  }

  private run?: { engine: SwarmEngine; images: Record<string, string | undefined>; rollouts: Map<string, Rollout>; noop: Set<string> }
  /** The manager was checked in this process (observe, then prepare, ask once). */
  private checked = false
  /** What observe saw, so a service the plan leaves alone is not looked at again to be called ready. */
  private seen = new Map<string, ServiceView>()

  private async check(engine: SwarmEngine) {
    if (!this.checked) await engine.check()
    this.checked = true
  }

  async observe(project: Project) {
    const engine = this.engineOf(project)
    await this.check(engine)
    const services = (await engine.services(project.name, LABEL.project)).filter((s) => serviceOf(s))
    const [tasks, nodes] = await Promise.all([engine.tasks(services.map((s) => s.ID)), engine.nodes()])
    for (const s of services) this.seen.set(serviceOf(s)!, viewOf(s, tasks))
    // A node that is down or drained: Swarm moves its tasks elsewhere (persisted services excepted: they are pinned).
    const notes = nodes.filter((n) => n.Status !== 'Ready' || n.Availability !== 'Active').map((n) => `node ${n.Hostname} is ${n.Status.toLowerCase() === 'ready' ? n.Availability.toLowerCase() : n.Status.toLowerCase()}: Swarm reschedules its tasks on the other nodes`)
    return { actual: services.map((s) => toActual(s, viewOf(s, tasks))), notes }
  }

  async prepare(project: Project, plan: Plan, signal?: AbortSignal) {
    const engine = this.engineOf(project)
    await this.check(engine)
    const starting = new Set(plan.steps.filter((s) => s.action === 'create' || s.action === 'update').map((s) => s.service))
    const images = starting.size ? deployedImages(project, [...starting].some((s) => project.services[s]?.build)) : {}
    this.run = { engine, images, rollouts: new Map(), noop: new Set(plan.steps.filter((s) => s.action === 'noop').map((s) => s.service)) }
    // Secrets first: a service's stack file refers to them by name (content-versioned, immutable).
    const wanted = stackSecrets(project).filter((x) => starting.has(x.service))
    if (wanted.length) {
      const have = new Set((await engine.ok(['secret', 'ls', '--format', '{{.Name}}', '--filter', `label=${LABEL.project}=${project.name}`])).split('\n').filter(Boolean))
      for (const x of wanted.filter((w) => !have.has(w.name))) {
        const r = await engine.run(['secret', 'create', '--label', `${LABEL.project}=${project.name}`, '--label', `${LABEL.service}=${x.service}`, x.name, '-'], { input: x.value, signal })
        // The name is a digest of the value: one made by hand from the stack file holds the same.
        if (r.exitCode !== 0 && !/already exists/i.test(String(r.all))) throw new PulpoError('swarm', `docker secret create failed on ${engine.where}: ${lastLine(String(r.all))}`)
      }
    }
    for (const s of [...starting].filter((n) => project.services[n]?.persist)) await pinData(engine, project, s)
    // The stack's network, made once before the deploys: services deployed side by side (db and pg)
    // would each create it, and the second fails with "name conflicts with an existing object".
    // The stack namespace label makes `stack deploy` take it as the stack's own.
    if (starting.size) {
      const net = `${project.name}_default`
      const have = (await engine.ok(['network', 'ls', '--format', '{{.Name}}', '--filter', `label=${LABEL.project}=${project.name}`])).split('\n')
      if (!have.includes(net)) {
        const r = await engine.run(['network', 'create', '--driver', 'overlay', '--attachable', '--label', `com.docker.stack.namespace=${project.name}`, '--label', `${LABEL.project}=${project.name}`, net], { signal })
        if (r.exitCode !== 0 && !/already exists|conflicts/i.test(String(r.all))) throw new PulpoError('swarm', `docker network create failed on ${engine.where}: ${lastLine(String(r.all))}`)
      }
    }
  }

  async start(project: Project, step: Step, opts: { signal?: AbortSignal; progress(text: string): void }) {
    const { engine, images, rollouts } = this.run!
    const name = swarmName(project, step.service)
    const job = jobsOf(project).has(step.service)
    const before = await look(engine, project, step.service)
    // A job runs once per deploy: a new run is a new service.
    if (job && before) await engine.run(['service', 'rm', name])
    if (before && !job) rollouts.set(step.service, { before: before.updateStartedAt })
    const unchanged = step.action === 'update' && step.causes.every((c) => c.kind === 'requested' || c.kind === 'dependency')
    const vars: Record<string, string> = {}
    const stack = stackYaml(stackDoc(project, images, [step.service], (before?.deployCount ?? 0) + 1, vars))
    const r = unchanged && before && !job
      ? await engine.run(['service', 'update', '--force', '--detach', name], { signal: opts.signal })
      : await engine.run(['stack', 'deploy', '--detach=true', '--resolve-image', images[step.service]?.includes('@') ? 'never' : 'always', '-c', '-', project.name], { input: stack, env: vars, signal: opts.signal })
    // Ctrl-C reaches the Docker CLI too, which then ends saying nothing that is the service's error.
    if (r.exitCode !== 0) throw new ServiceFailed(step.service, interruptedRun(r, opts.signal) ? 'interrupted' : lastLine(String(r.all ?? r.stderr)))
    opts.progress(before ? 'updating' : 'deploying')
  }

  /** An update is a rolling update in `start`; only a removal removes. */
  async stop(project: Project, service: string, opts: { remove: boolean }) {
    if (!opts.remove) return
    const r = await this.engineOf(project).run(['service', 'rm', swarmName(project, service)])
    if (r.exitCode !== 0 && !/not found/i.test(String(r.all))) throw new ServiceFailed(service, lastLine(String(r.all)))
  }

  async waitFor(project: Project, service: string, condition: WaitCondition, signal?: AbortSignal) {
    // Left alone by the plan and settled when observed a moment ago: ready without asking again.
    // Its replicas must have run past its settle period by then: one caught between two crashes is
    // waited for, and its next exit says what it is.
    const seen = this.seen.get(service)
    const settleMs = project.services[service]?.settleMs ?? 0
    if (this.run?.noop.has(service) && seen && (seen.job ? seen.completed >= seen.desired : seen.running >= seen.desired && (!seen.update || seen.update === 'completed') && seen.runningTasks.every((t) => stateAgeMs(t) >= settleMs))) return
    const engine = this.run?.engine ?? this.engineOf(project)
    await waitForService(engine, project, service, condition, this.run?.rollouts.get(service), signal)
  }

  async tail(project: Project, service: string): Promise<string[]> {
    const engine = this.run?.engine ?? this.engineOf(project)
    const v = await look(engine, project, service)
    // The failing task's own lines when there is one: the new version's, not the old replicas'.
    const target = v?.failedTasks[0]?.ID ?? swarmName(project, service)
    const r = await engine.run(['service', 'logs', '--raw', '--no-trunc', '--tail', String(LOG_LINES), target], { timeoutMs: 30_000 })
    return String(r.all ?? '').split('\n').filter((l) => l.trim()).slice(-LOG_LINES)
  }

  /** Secrets of the project no service refers to any more (nor a rollback would) are removed. */
  async finish(project: Project) {
    const engine = this.run?.engine ?? this.engineOf(project)
    this.run = undefined
    await removeUnusedSecrets(engine, project)
  }

  async down(project: Project, services: string[], opts: { progress: Progress; volumes: boolean }): Promise<DownResult> {
    const engine = this.engineOf(project)
    await engine.check()
    const deployed = (await engine.services(project.name, LABEL.project)).filter((s) => serviceOf(s))
    const existing = deployed.map((s) => serviceOf(s)!)
    // What ran where the data is: the image a clean-up job there can use, the id its tasks go by once removed.
    const removed = new Map(deployed.map((s) => [serviceOf(s)!, { image: s.Spec.TaskTemplate?.ContainerSpec?.Image, id: s.ID }]))
    const targets = (services.length ? services : existing).filter((s) => existing.includes(s))
    const results: ServiceResult[] = []
    // Dependents first, so nothing is left talking to a service that is gone.
    await walk({
      nodes: targets,
      direction: 'down',
      dependsOn: (n) => Object.keys(project.services[n]?.dependsOn ?? {}).filter((d) => targets.includes(d)),
      visit: async (n) => {
        const began = Date.now()
        opts.progress.update(n, 'removing')
        const r = await engine.run(['service', 'rm', swarmName(project, n)])
        const result: ServiceResult = r.exitCode === 0 ? { service: n, status: 'done', action: 'remove', ms: Date.now() - began } : { service: n, status: 'failed', action: 'remove', reason: lastLine(String(r.all)), logs: [] }
        results.push(result)
        opts.progress.done(result)
      },
    })
    if (!services.length) await removeRest(engine, project)
    if (!opts.volumes) return { results }
    // The named services' data even when they no longer run (a plain `down` came first).
    const { images } = kubernetesImages(project)
    const imageOf = (s: string) => {
      const service = project.services[s]
      return images[s] ?? service?.image ?? (service ? KINDS[service.kind].image : undefined)
    }
    // A service that could not be removed still uses its data: that is left alone.
    const running = new Set(results.filter((r) => r.status !== 'done').map((r) => r.service))
    const wanted = (s: string) => !running.has(s) && (!services.length || services.includes(s))
    return { results, data: await removeData(engine, project, wanted, removed, imageOf) }
  }

  /**
   * `pulpo rollback`: each service back to the spec it had before its last update (Swarm's own
   * rollback, with the service's rollback_config), waited for until Swarm says it completed.
   */
  async rollback(project: Project, services: string[], progress: Progress): Promise<ServiceResult[]> {
    const engine = this.engineOf(project)
    await engine.check()
    const results: ServiceResult[] = []
    for (const n of services) {
      const began = Date.now()
      const before = await look(engine, project, n)
      progress.update(n, 'rolling back')
      const r = before ? await engine.run(['service', 'rollback', '--detach', swarmName(project, n)]) : undefined
      let result: ServiceResult
      if (!before || !r || r.exitCode !== 0) {
        result = { service: n, status: 'failed', action: 'rollback', reason: before ? lastLine(String(r?.all)) || 'rollback refused' : 'not deployed', logs: [] }
      } else {
        try {
          await waitForRollback(engine, project, n, before.updateStartedAt)
          result = { service: n, status: 'done', action: 'rollback', ms: Date.now() - began }
        } catch (e) {
          result = { service: n, status: 'failed', action: 'rollback', reason: (e as Error).message, logs: await this.tail(project, n) }
        }
      }
      results.push(result)
      progress.done(result)
    }
    return results
  }

  async logs(project: Project, services: string[], opts: { follow: boolean; tail: number; signal: AbortSignal; write(line: string): void }) {
    const engine = this.engineOf(project)
    const names = services.length ? services : Object.keys(project.services)
    const width = Math.max(...names.map((n) => n.length))
    await Promise.all(
      names.map(async (n) => {
        const args = ['service', 'logs', '--raw', '--no-trunc', ...(opts.follow ? ['--follow'] : []), ...(opts.tail !== Infinity ? ['--tail', String(opts.tail)] : []), swarmName(project, n)]
        const child = engine.run(args, { signal: opts.signal })
        let partial = ''
        const onData = (d: Buffer) => {
          const lines = (partial + d.toString('utf8')).split('\n')
          partial = lines.pop() ?? ''
          for (const l of lines) opts.write(`${n.padEnd(width)} | ${l}`)
        }
        child.stdout?.on('data', onData)
        child.stderr?.on('data', onData)
        await child.catch(() => undefined)
        if (partial) opts.write(`${n.padEnd(width)} | ${partial}`)
      }),
    )
  }
}

/** What a project leaves besides services and data: its network, its secrets. */
async function removeRest(engine: SwarmEngine, project: Project) {
  // The network goes once the removed services' tasks have left it (Swarm removes them in the background).
  for (let i = 0; i < 60; i++) {
    // (The name filter matches substrings, and ignores a leading `^`: compare the names.)
    const left = await engine.run(['network', 'ls', '--format', '{{.Name}}', '--filter', `name=${project.name}_default`])
    if (!String(left.stdout).split('\n').includes(`${project.name}_default`)) break
    // Until it is gone from the list too: a stack deploy that still sees it would not create it
    // again, and its services would fail with "network not found".
    await engine.run(['network', 'rm', `${project.name}_default`])
    await new Promise((res) => setTimeout(res, 500))
  }
  const secrets = (await engine.ok(['secret', 'ls', '--quiet', '--filter', `label=${LABEL.project}=${project.name}`])).split('\n').filter(Boolean)
  if (secrets.length) await engine.run(['secret', 'rm', ...secrets])
}

async function removeUnusedSecrets(engine: SwarmEngine, project: Project) {
  const services = await engine.services(project.name, LABEL.project)
  const used = new Set(services.flatMap((s) => [s.Spec, s.PreviousSpec].flatMap((spec) => spec?.TaskTemplate?.ContainerSpec?.Secrets?.map((x) => x.SecretName) ?? [])))
  const all = (await engine.ok(['secret', 'ls', '--format', '{{.Name}}', '--filter', `label=${LABEL.project}=${project.name}`])).split('\n').filter(Boolean)
  const unused = all.filter((n) => !used.has(n))
  if (unused.length) await engine.run(['secret', 'rm', ...unused])
}

/** Until Swarm says a rollback started after `before` completed (it rolls back like an update: tasks replaced, healthchecks gating). */
async function waitForRollback(engine: SwarmEngine, project: Project, service: string, before: string | undefined) {
  const deadline = Date.now() + 10 * 60_000
  for (;;) {
    const v = await look(engine, project, service)
    if (!v) throw new Error('its swarm service is gone')
    const fresh = v.updateStartedAt !== before
    if (fresh && v.update === 'rollback_completed' && v.running >= v.desired) return
    if (fresh && (v.update === 'rollback_paused' || v.update === 'paused')) throw new Error(`its rollback paused: ${v.updateMessage ?? ''}`)
    if (Date.now() > deadline) throw new Error(`its rollback did not complete: ${v.running}/${v.desired} tasks running`)
    await new Promise((r) => setTimeout(r, 1000))
  }
}
