import type { Backend } from '../backends/backend.js'
import type { Project } from '../config/types.js'
import { desiredOf as desiredServices } from '../plan/desired.js'
import type { Actual, Desired, Plan, ResourceStep } from '../plan/plan.js'
import { modelSpecs } from '../mongo/models.js'
// Type-only: the datamodel and database modules (the MongoDB driver, PostgreSQL's wire protocol,
// node:crypto and node:net) are loaded only for a project that has datamodels or databases.
import type { DatabaseView, PostgresServerView } from './databases.js'
import type { DatamodelView, ServerView } from './datamodels.js'
import { reconcile } from '../plan/reconcile.js'
import { checkServiceNames } from '../project/services.js'
import { hashOf } from '../plan/hash.js'

/** The desired state of every service of the project's environment (what a mode needs is loaded for it). */
export async function desiredOf(project: Project): Promise<Desired[]> {
  if (project.mode === 'swarm') {
    const [{ deployedImages }, { swarmFingerprint }] = await Promise.all([import('../backends/swarm/backend.js'), import('../compile/stack.js')])
    // A swarm service is also the image it deploys: a new `pulpo build --push` is an update.
    const images = deployedImages(project, false)
    return desiredServices(project).map((d) => {
      const fingerprint = swarmFingerprint(project.services[d.name], project, images[d.name])
      return { ...d, fingerprint, hash: hashOf(fingerprint) }
    })
  }
  const external = project.mode === 'docker' && project.composeFile ? (await import('../backends/docker/compose-file.js')).composeServices(project.composeFile) : undefined
  return desiredServices(project, external)
}

/** The plan of services, and of the datamodels and postgres databases in the servers that run. */
export type ProjectPlan = Plan & { datamodels: DatamodelView[]; databases: DatabaseView[] }

/**
 * The datamodel steps of a plan. Observed (the plan and status commands), a datamodel is a step
 * when its database runs: to update when it differs from pulpo.yaml. Not observed (`up`, which
 * applies them once their database is ready, idempotently), each is a step to ensure.
 */
function datamodelSteps(project: Project, views: DatamodelView[] | undefined): ResourceStep[] {
  if (views) {
    return views
      .filter((v) => v.state !== 'unknown')
      .map((v) => ({ id: `datamodel:${v.name}`, kind: 'datamodel', name: v.name, service: v.service, where: v.namespace, action: v.state === 'drifted' ? 'update' : 'noop', causes: v.state === 'drifted' ? [{ kind: 'differs', changes: v.changes }] : [] }))
  }
  return modelSpecs(project).map((m) => ({ id: `datamodel:${m.name}`, kind: 'datamodel', name: m.name, service: m.service, where: `${m.database}.${m.collection}`, action: 'update', causes: [{ kind: 'ensure' }] }))
}

/** observe → reconcile: the plan for the project, and what was observed. */
export async function planFor(
  project: Project,
  backend: Backend,
  /** datamodels: `observe` them (plan, status; the default), `ensure` each once its database is ready (up), or leave them out. */
  opts: { only?: string[]; restart?: string[]; prune?: boolean; datamodels?: 'observe' | 'ensure' | 'none' } = {},
): Promise<{ plan: ProjectPlan; actual: Actual[]; notes: string[]; servers: ServerView[]; postgres: PostgresServerView[] }> {
  if (opts.only?.length) checkServiceNames(project, opts.only)
  const { actual, notes } = await backend.observe(project)
  const input = {
    project: project.name,
    environment: project.environment,
    mode: project.mode,
    desired: await desiredOf(project),
    actual,
    ...(project.disabled?.length ? { disabled: project.disabled } : {}),
    ...(opts.only?.length ? { only: opts.only } : {}),
    ...(opts.restart ? { restart: opts.restart } : {}),
  }
  const hasDatabases = Object.values(project.services).some((s) => s.databases.length)
  if (opts.datamodels === 'ensure' || opts.datamodels === 'none' || (!Object.keys(project.datamodels).length && !hasDatabases)) {
    const databases = opts.datamodels === 'ensure' && hasDatabases ? (await import('./databases.js')).databaseSteps(project, undefined) : []
    const plan = reconcile({ ...input, resources: opts.datamodels === 'ensure' ? [...datamodelSteps(project, undefined), ...databases] : [] })
    return { plan: { ...plan, datamodels: [], databases: [] }, actual, notes, servers: [], postgres: [] }
  }
  // Only a database that runs, healthy and unchanged, can be compared with pulpo.yaml.
  const services = reconcile(input)
  const up = new Set(actual.filter((a) => a.state === 'running' && a.health !== 'unhealthy' && services.steps.find((c) => c.service === a.name)?.action === 'noop').map((a) => a.name))
  const { datamodels, servers } = Object.keys(project.datamodels).length ? await (await import('./datamodels.js')).observeDatamodels(project, up, { prune: opts.prune }) : { datamodels: [], servers: [] }
  const db = hasDatabases ? await import('./databases.js') : undefined
  const { databases, servers: postgres } = db ? await db.observeDatabases(project, up) : { databases: [], servers: [] }
  const plan = reconcile({ ...input, resources: [...datamodelSteps(project, datamodels), ...(db ? db.databaseSteps(project, databases) : [])] })
  return { plan: { ...plan, datamodels, databases }, actual, notes, servers, postgres }
}
