import { basename, relative, resolve } from 'node:path'
import type { Backend } from '../backends/backend.js'
import type { Project } from '../config/types.js'
import { PulpoError } from '../errors.js'

/**
 * The backend of the project's environment. A kubernetes environment has none: it is exported, not
 * run. Each backend is loaded only when its mode is used: the docker and swarm ones bring the
 * Docker CLI driver (execa) and the compilers, a good part of a local `status`'s start-up.
 */
export async function backendFor(project: Project): Promise<Backend> {
  if (project.mode === 'kubernetes') throw await exportOnly(project)
  if (project.mode === 'docker') {
    const [{ DockerBackend }, { useDockerHost }] = await Promise.all([import('../backends/docker/backend.js'), import('../backends/docker/engine.js')])
    if (project.dockerHost) useDockerHost(project.dockerHost)
    return new DockerBackend()
  }
  if (project.mode === 'swarm') return new (await import('../backends/swarm/backend.js')).SwarmBackend()
  return new (await import('../backends/local/backend.js')).LocalBackend()
}

/** What up, plan, status (and every command that would talk to the environment) say about a kubernetes environment. */
async function exportOnly(project: Project): Promise<PulpoError> {
  const env = project.environment
  const { kubernetesCommands } = await import('../compile/kubernetes.js')
  // Commands to paste where the user is: the file named when pulpo would not find it by itself,
  // the manifests' directory as seen from here.
  const file = resolve(project.file)
  const config = basename(file) === 'pulpo.yaml' ? '' : ` -c ${relative(process.cwd(), file)}`
  const here = relative(process.cwd(), project.dir)
  const commands = kubernetesCommands(project).map((c) => (here ? c.replace(/^kubectl apply -k /, `kubectl apply -k ${here}/`) : c))
  return new PulpoError('export-only', `environment '${env}' is export-only (mode: kubernetes): pulpo writes its manifests and does not deploy them`, {
    hints: [`pulpo compile -e ${env}${config}   # writes the manifests`, ...commands],
  })
}
