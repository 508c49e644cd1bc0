import type { Backend } from '../backends/backend.js'
import { LocalBackend } from '../backends/local/backend.js'
import type { Project } from '../config/resolve.js'
import { PulpoError } from '../errors.js'

/** The backend of the project's environment. */
export function backendFor(project: Project): Backend {
  if (project.mode === 'local') return new LocalBackend()
  throw new PulpoError('mode', `environment '${project.environment}' uses ${project.mode} mode, which this build of pulpo does not drive yet`, {
    hints: ['use an environment with mode: local'],
  })
}
