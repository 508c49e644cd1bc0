import type { Backend } from '../backends/backend.js'
import type { Project } from '../config/types.js'
import { desiredOf as desiredServices } from '../plan/desired.js'
import type { Actual, Desired, Plan } from '../plan/plan.js'
import { composeServices } from '../backends/docker/compose-file.js'
import { observeDatamodels, type DatamodelView, type ServerView } from './datamodels.js'
import { reconcile } from '../plan/reconcile.js'
import { checkServiceNames } from '../project/services.js'

/** The desired state of every service of the project's environment. */
export function desiredOf(project: Project): Desired[] {
  return desiredServices(project, project.mode === 'docker' && project.composeFile ? composeServices(project.composeFile) : undefined)
}

/** The plan of services, and of the datamodels in the databases that run. */
export type ProjectPlan = Plan & { datamodels: DatamodelView[] }

/** observe → reconcile: the plan for the project, and what was observed. */
export async function planFor(
  project: Project,
  backend: Backend,
  opts: { only?: string[]; restart?: string[]; prune?: boolean; datamodels?: boolean } = {},
): Promise<{ plan: ProjectPlan; actual: Actual[]; notes: string[]; servers: ServerView[] }> {
  if (opts.only?.length) checkServiceNames(project, opts.only)
  const { actual, notes } = await backend.observe(project)
  const plan = reconcile({
    project: project.name,
    environment: project.environment,
    mode: project.mode,
    desired: desiredOf(project),
    actual,
    ...(opts.only?.length ? { only: opts.only } : {}),
    ...(opts.restart ? { restart: opts.restart } : {}),
  })
  let datamodels: DatamodelView[] = []
  let servers: ServerView[] = []
  if (opts.datamodels !== false && Object.keys(project.datamodels).length) {
    // Only a database that runs, healthy and unchanged, can be compared with pulpo.yaml.
    const up = new Set(actual.filter((a) => a.state === 'running' && a.health !== 'unhealthy' && plan.changes.find((c) => c.service === a.name)?.action === 'noop').map((a) => a.name))
    ;({ datamodels, servers } = await observeDatamodels(project, up, { prune: opts.prune }))
  }
  return { plan: { ...plan, datamodels }, actual, notes, servers }
}
