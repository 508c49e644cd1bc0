import type { Backend } from '../backends/backend.js'
import { DockerBackend } from '../backends/docker/backend.js'
import { LocalBackend } from '../backends/local/backend.js'
import type { Project } from '../config/types.js'

/** The backend of the project's environment. */
export function backendFor(project: Project): Backend {
  return project.mode === 'docker' ? new DockerBackend() : new LocalBackend()
}
