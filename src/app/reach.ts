import type { Project } from '../config/types.js'
import { KINDS } from '../kinds/kinds.js'
import { hostOf } from '../probes/probe.js'

/**
 * Where this machine reaches a service (pulpo's own connections: datamodels, postgres databases,
 * the Prefect API): locally the bound address and the service's port; in docker mode the loopback
 * and the port it is published on (`port` is the container's); in swarm mode a node that runs it,
 * on the port it is published on.
 */
export async function reach(project: Project, service: string): Promise<{ host: string; port: number }> {
  const s = project.services[service]
  const port = s.port ?? KINDS[s.kind].defaultPort!
  const published = typeof s.publish === 'number' ? s.publish : port
  if (project.mode === 'local') return { host: hostOf(project), port }
  if (project.mode !== 'swarm') return { host: hostOf(project), port: published }
  // Loaded only here: the swarm driver (the Docker CLI through execa) is a good part of a start-up.
  const { swarmAddress } = await import('../backends/swarm/reach.js')
  return { host: (await swarmAddress(project, service)) ?? hostOf(project), port: published }
}
