import type { Project } from '../config/types.js'
import { PulpoError } from '../errors.js'
import { didYouMean } from '../util/didyoumean.js'

/**
 * The one "unknown service" error: every command that takes service names checks them here,
 * before anything is shown or done. `alsoKnown` are names that are not in pulpo.yaml but exist
 * (what still runs after being removed from it, which `down` may stop).
 */
export function checkServiceNames(project: Project, names: readonly string[], alsoKnown: readonly string[] = []): void {
  const known = [...new Set([...Object.keys(project.services), ...alsoKnown])]
  const unknown = names.filter((n) => !known.includes(n))
  if (!unknown.length) return
  const hints = unknown.map((u) => didYouMean(u, known)).filter((h): h is string => h !== undefined)
  throw new PulpoError('unknown-service', `no service ${unknown.map((u) => `'${u}'`).join(', ')} in environment '${project.environment}' of ${project.name}`, {
    exitCode: 2,
    hints: [...hints, known.length ? `services: ${known.join(', ')}` : 'pulpo.yaml declares no services in this environment'],
  })
}
