import type { Project, Service } from '../config/types.js'
import { fingerprint, hashOf } from './hash.js'
import { shownValues } from './fields.js'
import type { Desired } from './plan.js'

/** One service of pulpo.yaml as the planner wants it: its config fingerprint and its dependencies. */
export function desiredService(s: Service, projectDir: string): Desired {
  const fp = fingerprint(s, projectDir)
  return {
    name: s.name,
    hash: hashOf(fp),
    fingerprint: fp,
    shown: shownValues(s),
    dependsOn: Object.fromEntries(Object.entries(s.dependsOn).map(([d, o]) => [d, { restart: o.restart, condition: o.condition }])),
  }
}

/**
 * The desired state of every service of the project's environment. `external` names the services
 * of a compose file of the user's: pulpo knows nothing of their config, only that they should run.
 */
export function desiredOf(project: Project, external?: string[]): Desired[] {
  if (external) return external.map((name) => ({ name, hash: '', fingerprint: {}, dependsOn: {} }))
  return Object.values(project.services).map((s) => desiredService(s, project.dir))
}
