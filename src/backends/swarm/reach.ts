import type { Project } from '../../config/types.js'
import { SwarmEngine, taskState } from './engine.js'

/**
 * The address this machine reaches a swarm service's published port at: the address of a node
 * that runs one of its tasks. With host-mode ports only those nodes answer; with the routing mesh
 * they answer too, and the manager's socket may be a local one (unix://) that says nothing of where
 * the cluster is. Undefined when no task runs.
 */
export async function swarmAddress(project: Project, service: string): Promise<string | undefined> {
  const engine = new SwarmEngine(project.dockerHost)
  const running = (await engine.tasks([`${project.name}_${service}`])).filter((t) => t.DesiredState.toLowerCase() === 'running' && taskState(t) === 'running')
  if (!running.length) return undefined
  const r = await engine.run(['node', 'inspect', '--format', '{{.Status.Addr}} {{if .ManagerStatus}}{{.ManagerStatus.Addr}}{{end}}', running[0].Node])
  if (r.exitCode !== 0) return undefined
  // A manager may report 0.0.0.0 as its status address; its manager address (host:2377) is its own.
  const [status, manager] = String(r.stdout).trim().split(/\s+/)
  const addr = status && status !== '0.0.0.0' ? status : manager?.replace(/:\d+$/, '')
  return addr || undefined
}
