import type { Progress, ServiceResult } from '../backend.js'
import { docker } from './engine.js'
import { containers } from './observe.js'

/**
 * `down` without a compose file (the pulpo file is broken or gone, `-p NAME`): the project's
 * containers, networks and (with `volumes`) volumes are found by Compose's project label and
 * removed directly, as `docker compose -p NAME down` does.
 */
export async function downByLabel(project: string, services: string[], opts: { progress: Progress; volumes: boolean }): Promise<ServiceResult[]> {
  const found = (await containers(project)).filter((c) => !services.length || services.includes(c.service))
  const targets = [...new Set(found.map((c) => c.service))]
  for (const s of targets) opts.progress.update(s, 'stopping')
  const r = found.length ? await docker(['rm', '-f', ...(opts.volumes ? ['-v'] : []), ...found.map((c) => c.id)], { all: true }) : undefined
  const label = `label=com.docker.compose.project=${project}`
  if (!services.length && !r?.failed) {
    const networks = String((await docker(['network', 'ls', '-q', '--filter', label])).stdout ?? '').split('\n').filter(Boolean)
    if (networks.length) await docker(['network', 'rm', ...networks])
  }
  if (opts.volumes && !r?.failed) {
    const volumes = String((await docker(['volume', 'ls', '-q', '--filter', label])).stdout ?? '').split('\n').filter(Boolean)
    const mine = services.length ? volumes.filter((v) => services.some((s) => v === `${project}_${s}-data`)) : volumes
    if (mine.length) await docker(['volume', 'rm', '-f', ...mine])
  }
  const results: ServiceResult[] = targets.map((s) =>
    r?.failed ? { service: s, status: 'failed', action: 'stop', reason: String(r.all ?? r.stderr).trim().split('\n').slice(-2).join('; '), logs: [] } : { service: s, status: 'done', action: 'stop', ms: 0 },
  )
  for (const x of results) opts.progress.done(x)
  return results
}
