import type { Backend } from '../backends/backend.js'
import { DockerBackend } from '../backends/docker/backend.js'
import { useDockerHost } from '../backends/docker/engine.js'
import { LocalBackend } from '../backends/local/backend.js'
import { kubernetesCommands } from '../compile/kubernetes.js'
import { SwarmBackend } from '../backends/swarm/backend.js'
import type { Project } from '../config/types.js'
import { PulpoError } from '../errors.js'

/** The backend of the project's environment. A kubernetes environment has none: it is exported, not run. */
export function backendFor(project: Project): Backend {
  if (project.mode === 'kubernetes') throw exportOnly(project)
  if (project.mode === 'docker' && project.dockerHost) useDockerHost(project.dockerHost)
  return project.mode === 'docker' ? new DockerBackend() : project.mode === 'swarm' ? new SwarmBackend() : new LocalBackend()
}

/** What up, plan, status (and every command that would talk to the environment) say about a kubernetes environment. */
function exportOnly(project: Project): PulpoError {
  const env = project.environment
  return new PulpoError('export-only', `environment '${env}' is export-only (mode: kubernetes): pulpo writes its manifests and does not deploy them`, {
    hints: [`pulpo compile -e ${env}   # writes the manifests`, ...kubernetesCommands(project)],
  })
}
