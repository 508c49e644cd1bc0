import { LABEL } from '../../compile/compose.js'
import { dataLabel, jobsOf, stackDoc, stackSecrets, stackYaml } from '../../compile/stack.js'
import type { Project } from '../../config/types.js'
import { PulpoError } from '../../errors.js'
import { walk } from '../../graph/traverse.js'
import { kubernetesImages } from '../../compile/index.js'
import type { WaitCondition } from '../../plan/conditions.js'
import type { Plan, Step } from '../../plan/plan.js'
import { ServiceFailed, type Backend, type Progress, type ServiceResult } from '../backend.js'
import { lastLine, SwarmEngine } from './engine.js'
import { serviceOf, toActual, viewOf, type ServiceView } from './observe.js'
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
    for (const s of [...starting].filter((n) => project.services[n]?.persist)) await this.pin(engine, project, s)
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

  /**
   * A persisted service's volume lives on one node: the node labelled for it. pulpo labels one the
   * first time: the manager it talks to when it is ready (so `down --volumes` can reach the
   * volume through it), else the ready node holding the fewest pulpo volumes. Label another node
   * (`docker node update --label-add dev.pulpo.data.PROJECT.SERVICE=true`) before the first `up`
   * to put the data there.
   */
  private async pin(engine: SwarmEngine, project: Project, service: string) {
    const label = dataLabel(project.name, service)
    const nodes = await engine.nodes()
    const inspected = JSON.parse(await engine.ok(['node', 'inspect', ...nodes.map((n) => n.ID)])) as { ID: string; Spec: { Labels?: Record<string, string> }; Description: { Hostname: string } }[]
    if (inspected.some((n) => n.Spec.Labels?.[label])) return
    const ready = nodes.filter((n) => n.Status === 'Ready' && n.Availability === 'Active')
    const volumesOn = (id: string) => Object.keys(inspected.find((n) => n.ID === id)?.Spec.Labels ?? {}).filter((k) => k.startsWith('dev.pulpo.data.')).length
    const choice = ready.sort((a, b) => Number(!a.Self) - Number(!b.Self) || volumesOn(a.ID) - volumesOn(b.ID) || a.Hostname.localeCompare(b.Hostname))[0]
    if (!choice) throw new ServiceFailed(service, 'no node is ready to hold its volume')
    await engine.ok(['node', 'update', '--label-add', `${label}=true`, choice.ID])
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
    if (r.exitCode !== 0) throw new ServiceFailed(step.service, lastLine(String(r.all ?? r.stderr)))
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
    const seen = this.seen.get(service)
    if (this.run?.noop.has(service) && seen && (seen.job ? seen.completed >= seen.desired : seen.running >= seen.desired && (!seen.update || seen.update === 'completed'))) return
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

  async down(project: Project, services: string[], opts: { progress: Progress; volumes: boolean }): Promise<ServiceResult[]> {
    const engine = this.engineOf(project)
    await engine.check()
    const existing = (await engine.services(project.name, LABEL.project)).map((s) => serviceOf(s)).filter((s): s is string => !!s)
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
    if (!services.length) await removeRest(engine, project, opts.volumes)
    else if (opts.volumes) for (const s of targets) await engine.run(['volume', 'rm', `${project.name}_${s}-data`])
    return results
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

/** What a project leaves besides services: its network, its secrets, with `volumes` its volumes. */
async function removeRest(engine: SwarmEngine, project: Project, volumes: boolean) {
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
  if (volumes) {
    const vols = (await engine.ok(['volume', 'ls', '--quiet', '--filter', `label=${LABEL.project}=${project.name}`])).split('\n').filter(Boolean)
    // A removed service's container may hold its volume a moment longer.
    // A removed service's container may hold its volume a while (`rm -f` would not say it failed).
    for (let i = 0, left = vols; left.length && i < 60; i++) {
      if (i) await new Promise((res) => setTimeout(res, 1000))
      const r = await engine.run(['volume', 'rm', ...left])
      left = r.exitCode === 0 ? [] : left.filter((v) => !new RegExp(`no such volume: ${v}`, 'i').test(String(r.all)) && String(r.all).includes(v))
    }
    // The data is gone: so is the node label that kept the service where its data was.
    for (const n of await engine.nodes()) {
      const labels = JSON.parse(await engine.ok(['node', 'inspect', '--format', '{{json .Spec.Labels}}', n.ID])) as Record<string, string> | null
      const mine = Object.keys(labels ?? {}).filter((k) => k.startsWith(`dev.pulpo.data.${project.name}.`))
      if (mine.length) await engine.run(['node', 'update', ...mine.flatMap((k) => ['--label-rm', k]), n.ID])
    }
  }
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
