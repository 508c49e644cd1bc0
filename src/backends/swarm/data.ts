/**
 * A persisted service's data in swarm mode: a named volume on the one node labelled for it
 * (`dev.pulpo.data.PROJECT.SERVICE`). pulpo reaches only the manager's daemon and Swarm has no
 * cluster-wide volume removal, so data on another node is deleted by a one-shot job pinned there.
 */
import { LABEL } from '../../compile/compose.js'
import { dataLabel } from '../../compile/stack.js'
import type { Project } from '../../config/types.js'
import { ServiceFailed, type DataRemoval } from '../backend.js'
import { lastLine, taskState, type SwarmEngine } from './engine.js'

/** The volume `docker stack deploy` makes of a persisted service's `<service>-data`. */
export const volumeOf = (project: string, service: string) => `${project}_${service}-data`

/** Where the clean-up job mounts the volume it empties. */
const MOUNT = '/pulpo-volume'
/** The label on a clean-up job's container, whose value is the volume: what `docker container prune --filter` finds. */
const JOB_LABEL = 'dev.pulpo.data-rm'
/** How long a clean-up job (and the stop of the task before it) may take, its image's pull included. */
const JOB_DEADLINE_MS = 5 * 60_000

interface LabelledNode {
  ID: string
  Hostname: string
  Status: string
  Availability: string
  Self: boolean
  labels: Record<string, string>
}

async function labelledNodes(engine: SwarmEngine): Promise<LabelledNode[]> {
  const nodes = await engine.nodes()
  if (!nodes.length) return []
  const inspected = JSON.parse(await engine.ok(['node', 'inspect', ...nodes.map((n) => n.ID)])) as { ID: string; Spec: { Labels?: Record<string, string> | null } }[]
  return nodes.map((n) => ({ ...n, labels: inspected.find((i) => i.ID === n.ID)?.Spec.Labels ?? {} }))
}

/**
 * Labels a node for a persisted service the first time: the manager pulpo talks to when it is
 * ready (its volume then goes with a plain `docker volume rm`), else the ready node holding the
 * fewest pulpo volumes. A label set by hand before the first `up` is kept.
 */
export async function pinData(engine: SwarmEngine, project: Project, service: string) {
  const label = dataLabel(project.name, service)
  const nodes = await labelledNodes(engine)
  if (nodes.some((n) => n.labels[label])) return
  const ready = nodes.filter((n) => n.Status === 'Ready' && n.Availability === 'Active')
  const volumesOn = (n: LabelledNode) => Object.keys(n.labels).filter((k) => k.startsWith('dev.pulpo.data.')).length
  const choice = ready.sort((a, b) => Number(!a.Self) - Number(!b.Self) || volumesOn(a) - volumesOn(b) || a.Hostname.localeCompare(b.Hostname))[0]
  if (!choice) throw new ServiceFailed(service, 'no node is ready to hold its volume')
  await engine.ok(['node', 'update', '--label-add', `${label}=true`, choice.ID])
}

/** What `down` knew of a service before removing it: the image its tasks ran (present on its node) and its swarm service id. */
export interface Removed {
  image?: string
  id?: string
}

/**
 * `down --volumes`: the project's data on every node it is on (of the services `wanted` says),
 * each place reported. On the manager the volumes are removed; on a node labelled for a service the
 * volume is emptied by a job run there. A node's label goes once its service's data there is
 * gone; kept, it still says where the data is (and `up` keeps the service there).
 */
export async function removeData(engine: SwarmEngine, project: Project, wanted: (service: string) => boolean, removed: Map<string, Removed>, imageOf: (service: string) => string | undefined): Promise<DataRemoval[]> {
  const nodes = await labelledNodes(engine)
  const self = nodes.find((n) => n.Self)
  const prefix = `dev.pulpo.data.${project.name}.`
  const pins = nodes
    .flatMap((node) => Object.keys(node.labels).filter((k) => k.startsWith(prefix)).map((k) => ({ service: k.slice(prefix.length), node })))
    .filter((p) => wanted(p.service))
  const here = await removeOnManager(engine, project, wanted, self?.Hostname ?? engine.where)
  const elsewhere = await Promise.all(pins.filter((p) => !p.node.Self).map((p) => emptyOnNode(engine, project, p.service, p.node, removed.get(p.service), imageOf)))
  const outcomes = [...here, ...elsewhere]
  for (const node of nodes) {
    const gone = pins.filter((p) => p.node.ID === node.ID && !outcomes.some((o) => o.service === p.service && o.node === node.Hostname && o.outcome === 'failed'))
    if (!gone.length) continue
    const r = await engine.run(['node', 'update', ...gone.flatMap((p) => ['--label-rm', dataLabel(project.name, p.service)]), node.ID])
    if (r.exitCode === 0) continue
    for (const p of gone) {
      const labelRm = `on a manager: docker node update --label-rm ${dataLabel(project.name, p.service)} ${node.ID}`
      const o = outcomes.find((x) => x.service === p.service && x.node === node.Hostname)
      const reason = `its node label stays on ${node.Hostname}: ${lastLine(String(r.all))}`
      if (o) Object.assign(o, { outcome: 'failed', reason: `${o.outcome === 'removed' ? 'its volume was removed' : 'its data was deleted'}, but ${reason}`, commands: [labelRm] })
      else outcomes.push({ service: p.service, volume: volumeOf(project.name, p.service), node: node.Hostname, outcome: 'failed', reason, commands: [labelRm] })
    }
  }
  return outcomes
}

/** The project's volumes on the manager (labelled with the project), of the services `wanted` says. */
async function removeOnManager(engine: SwarmEngine, project: Project, wanted: (service: string) => boolean, hostname: string): Promise<DataRemoval[]> {
  const listed = (await engine.ok(['volume', 'ls', '--quiet', '--filter', `label=${LABEL.project}=${project.name}`])).split('\n').filter(Boolean)
  const serviceOf = (v: string) => v.match(new RegExp(`^${project.name}_(.+)-data$`))?.[1] ?? v
  const volumes = listed.filter((v) => wanted(serviceOf(v)))
  // A removed service's container may hold its volume a while (`rm -f` would not say it failed).
  let left = volumes
  let said = ''
  for (let i = 0; left.length && i < 60; i++) {
    if (i) await new Promise((res) => setTimeout(res, 1000))
    const r = await engine.run(['volume', 'rm', ...left])
    said = String(r.all)
    // A run that said nothing (killed by Ctrl-C) removed nothing as far as anyone knows: not "removed".
    left = r.exitCode === 0 ? [] : !said.trim() ? left : left.filter((v) => !new RegExp(`no such volume: ${v}`, 'i').test(said) && said.includes(v))
  }
  return volumes.map((v) => {
    const base = { service: serviceOf(v), volume: v, node: hostname }
    if (!left.includes(v)) return { ...base, outcome: 'removed' as const }
    const line = said.split('\n').find((l) => l.includes(v)) ?? lastLine(said)
    return { ...base, outcome: 'failed' as const, reason: line.trim(), commands: [`on ${hostname}: docker volume rm ${v}`] }
  })
}

/**
 * Empties a service's volume on a node other than the manager: a replicated job pinned to the
 * node by id, running `find VOLUME -mindepth 1 -delete` as root in the image the service ran there.
 * The volume object stays (empty): only that node's daemon could remove it.
 */
async function emptyOnNode(engine: SwarmEngine, project: Project, service: string, node: LabelledNode, removed: Removed | undefined, imageOf: (service: string) => string | undefined): Promise<DataRemoval> {
  const volume = volumeOf(project.name, service)
  const base = { service, volume, node: node.Hostname }
  const failed = (reason: string): DataRemoval => ({
    ...base,
    outcome: 'failed',
    reason,
    commands: [`on ${node.Hostname}: docker volume rm ${volume}`, `then on a manager: docker node update --label-rm ${dataLabel(project.name, service)} ${node.ID}`],
  })
  if (node.Status.toLowerCase() !== 'ready') return failed(`its node ${node.Hostname} is ${node.Status.toLowerCase()}: nothing can run there to delete it`)
  if (node.Availability.toLowerCase() !== 'active') return failed(`its node ${node.Hostname} is ${node.Availability.toLowerCase()}: Swarm runs nothing new there to delete it`)
  const image = removed?.image ?? imageOf(service)
  if (!image) return failed(`no image is known to run on ${node.Hostname} to delete it (the service is neither deployed nor in pulpo.yaml)`)
  const deadline = Date.now() + JOB_DEADLINE_MS
  // The service's own task may still be stopping there (and writing on its way out).
  if (!(await tasksGone(engine, node.ID, [`${project.name}_${service}.`, ...(removed?.id ? [`${removed.id}.`] : [])], deadline))) return failed(`its task on ${node.Hostname} did not stop within ${JOB_DEADLINE_MS / 60_000}m`)
  const job = `${project.name}_${service}-data-rm`.slice(0, 63)
  await engine.run(['service', 'rm', job])
  const created = await engine.run([
    'service', 'create', '--detach', '--name', job,
    '--mode', 'replicated-job', '--restart-condition', 'none',
    '--constraint', `node.id==${node.ID}`,
    '--label', `${LABEL.project}=${project.name}`, '--container-label', `${JOB_LABEL}=${volume}`,
    '--mount', `type=volume,source=${volume},target=${MOUNT},volume-nocopy=true`,
    '--user', '0:0', '--no-resolve-image', '--entrypoint', 'find',
    image, MOUNT, '-mindepth', '1', '-delete',
  ])
  if (created.exitCode !== 0) return failed(`the clean-up job could not be created: ${lastLine(String(created.all))}`)
  try {
    const why = await jobOutcome(engine, job, deadline)
    if (why) return failed(`the clean-up job on ${node.Hostname} failed: ${why}`)
  } finally {
    await engine.run(['service', 'rm', job])
  }
  return {
    ...base,
    outcome: 'emptied',
    // Swarm leaves the job's exited container on the node, holding the volume until it is pruned.
    commands: [`on ${node.Hostname}: docker container prune --force --filter label=${JOB_LABEL}=${volume}`, `then on ${node.Hostname}: docker volume rm ${volume}`],
  }
}

/** Until no task named with one of `prefixes` runs on the node (a removed service's tasks are named by its id); false at the deadline. */
async function tasksGone(engine: SwarmEngine, node: string, prefixes: string[], deadline: number): Promise<boolean> {
  for (;;) {
    const r = await engine.run(['node', 'ps', '--no-trunc', '--format', '{{json .}}', node])
    const tasks = String(r.stdout).split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l) as { Name: string; CurrentState: string })
    const live = tasks.filter((t) => prefixes.some((p) => t.Name.startsWith(p)) && !['complete', 'failed', 'shutdown', 'rejected', 'orphaned'].includes(t.CurrentState.split(' ')[0].toLowerCase()))
    if (!live.length) return true
    if (Date.now() > deadline) return false
    await new Promise((res) => setTimeout(res, 1000))
  }
}

/** Waits for the job's one task to end: undefined once it completed, else why it did not. */
async function jobOutcome(engine: SwarmEngine, job: string, deadline: number): Promise<string | undefined> {
  for (;;) {
    const [task] = await engine.tasks([job])
    const state = task ? taskState(task) : 'pending'
    if (state === 'complete') return undefined
    if (['failed', 'rejected', 'shutdown', 'orphaned'].includes(state)) {
      // A program that ran and failed (find: Permission denied) says more than its exit code.
      const logs = await engine.run(['service', 'logs', '--raw', '--no-trunc', '--tail', '5', job], { timeoutMs: 30_000 })
      const said = lastLine(String(logs.all ?? ''))
      return [task.Error || state, said].filter(Boolean).join(': ')
    }
    if (Date.now() > deadline) return `it did not finish within ${JOB_DEADLINE_MS / 60_000}m (its task is ${state}${task?.Error ? `: ${task.Error}` : ''})`
    await new Promise((res) => setTimeout(res, 1000))
  }
}
