import { LABEL } from '../../compile/compose.js'
import type { Actual } from '../../plan/plan.js'
import { PulpoError } from '../../errors.js'
import { engineGet, localSocket } from './api.js'
import { composeCli, docker } from './engine.js'

/** A container of the project, as `docker inspect` describes it. */
export interface Container {
  id: string
  service: string
  state: string
  health?: string
  exitCode: number
  startedAt: string
  restartCount: number
  hash?: string
  ports: number[]
}

/** The project's containers, found by Compose's project label (whoever created them). */
export async function containers(project: string): Promise<Container[]> {
  const data = (await fromEngine(project)) ?? (await fromCli(project))
  return data.map((c) => ({
    id: c.Id,
    service: c.Config.Labels['com.docker.compose.service'],
    state: c.State.Status,
    ...(c.State.Health ? { health: c.State.Health.Status } : {}),
    exitCode: c.State.ExitCode,
    startedAt: c.State.StartedAt,
    restartCount: c.RestartCount ?? 0,
    ...(c.Config.Labels[LABEL.hash] ? { hash: c.Config.Labels[LABEL.hash] } : {}),
    ports: Object.values((c.NetworkSettings?.Ports ?? {}) as Record<string, { HostPort: string }[] | null>)
      .flatMap((b) => b ?? [])
      .map((b) => Number(b.HostPort))
      .filter((p, i, all) => p && all.indexOf(p) === i),
  }))
}

/**
 * The containers as `docker inspect` prints them (the Engine API's own JSON), asked of the local
 * daemon's socket directly; undefined when that is not where the Docker CLI goes, or it fails.
 */
async function fromEngine(project: string): Promise<any[] | undefined> {
  const socket = localSocket()
  if (!socket) return undefined
  try {
    const filters = encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${project}`] }))
    const found = await engineGet<{ Id: string }[]>(socket, `/containers/json?all=1&filters=${filters}`)
    return await Promise.all(found.map((c) => engineGet<any>(socket, `/containers/${encodeURIComponent(c.Id)}/json`)))
  } catch {
    return undefined
  }
}

/** The same through the Docker CLI: `docker ps`, then `docker inspect`. */
async function fromCli(project: string): Promise<any[]> {
  const ps = await docker(['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${project}`])
  if (ps.failed) {
    // Without this, Docker being absent or stopped read as "no containers": status and plan showed
    // every service absent and exited 0. composeCli() names the cause (not installed, daemon down).
    await composeCli()
    throw new PulpoError('docker-ps', `docker ps failed: ${String(ps.stderr).trim() || 'no answer'}`)
  }
  const ids = String(ps.stdout).split('\n').filter(Boolean)
  if (!ids.length) return []
  const inspect = await docker(['inspect', ...ids])
  return JSON.parse(String(inspect.stdout) || '[]') as any[]
}

/** A container in the planner's terms. */
export function toActual(c: Container): Actual {
  const state = c.state === 'running' ? (c.health === 'starting' ? 'starting' : 'running') : c.state === 'created' ? 'stopped' : c.state === 'exited' || c.state === 'dead' ? 'exited' : c.state === 'restarting' ? 'starting' : 'stopped'
  const running = state === 'running' || state === 'starting'
  return {
    name: c.service,
    state,
    health: c.health === 'healthy' ? 'healthy' : c.health === 'unhealthy' ? 'unhealthy' : 'unknown',
    ...(c.hash ? { hash: c.hash } : {}),
    containerId: c.id,
    ...(state === 'exited' ? { exitCode: c.exitCode } : {}),
    ports: running ? c.ports : [],
    ...(running && c.startedAt ? { since: c.startedAt } : {}),
    restarts: c.restartCount,
    // Between two runs by its restart policy after a crash, again and again.
    ...(c.state === 'restarting' && c.exitCode !== 0 ? { crashLoop: { exitCode: c.exitCode, restarts: c.restartCount } } : {}),
  }
}
