import { resolve } from 'node:path'
import { KINDS } from '../kinds/kinds.js'
import { toMillis } from '../util/duration.js'
import { dependencies, SERVE_READY_LINE, type Kind, type RawService } from './model.js'
import type { Probe, Service } from './types.js'

/** A service as the project runs it, from its form in the file with the environment's overrides merged and interpolated. */
export function toService(name: string, svc: RawService, projectEnv: Record<string, string>, fileVars: Record<string, string>, dir: string): Service {
  const kind = svc.kind ?? 'process'
  const probe = probeOf(svc, kind)
  const build = typeof svc.build === 'string' ? { context: svc.build } : svc.build
  return {
    name,
    kind,
    ...(svc.description ? { description: svc.description } : {}),
    ...(svc.command !== undefined ? { command: typeof svc.command === 'string' ? svc.command : svc.command.map(String) } : {}),
    ...(svc.image ? { image: svc.image } : {}),
    ...(build ? { build: { context: resolve(dir, build.context), ...(build.dockerfile ? { dockerfile: build.dockerfile } : {}), ...(build.args ? { args: stringify(build.args) } : {}) } } : {}),
    cwd: resolve(dir, svc.cwd ?? '.'),
    // A built-in kind listens on its usual port unless told otherwise: its probe and ${services.NAME.port} need it.
    ...(svc.port !== undefined ? { port: svc.port } : KINDS[kind].defaultPort !== undefined ? { port: KINDS[kind].defaultPort } : {}),
    env: { ...projectEnv, ...fileVars, ...stringify(svc.env ?? {}) },
    dependsOn: dependencies(svc),
    ...(probe ? { ready: probe } : {}),
    settleMs: toMillis(svc.ready?.settle, probe ? 0 : DEFAULT_SETTLE_MS),
    restart: {
      policy: svc.restart ?? 'no',
      ...(svc.max_restarts !== undefined ? { maxRestarts: svc.max_restarts } : svc.restart === 'on-failure' ? { maxRestarts: 5 } : {}),
      backoffMs: toMillis(svc.backoff, 1000),
    },
    stop: { signal: svc.stop?.signal ?? KINDS[kind].defaultStopSignal ?? 'SIGTERM', timeoutMs: toMillis(svc.stop?.timeout, 10_000) },
    persist: svc.persist ?? false,
    ...(svc.deploy ? { deploy: svc.deploy } : {}),
    ...(svc.publish !== undefined ? { publish: svc.publish } : {}),
    watch: (svc.watch ?? []).map((w) => resolve(dir, w)),
    databases: kind === 'postgres' ? [...new Set(svc.databases ?? [])].sort() : [],
    ...(kind === 'prefect' && svc.database ? { database: svc.database } : {}),
  }
}

/**
 * Without a probe, `up` calls a service ready once it has stayed up this long: a process that
 * crashes at once (a worker that cannot reach its queue) is caught instead of reported as up.
 */
export const DEFAULT_SETTLE_MS = 1000

/** The service's probe: its own `ready`, else its kind's built-in one. */
function probeOf(svc: RawService, kind: Kind): Probe | undefined {
  const r = svc.ready
  const timing = { intervalMs: toMillis(r?.interval, 1000), timeoutMs: toMillis(r?.timeout, 60_000) }
  const port = svc.port ?? KINDS[kind].defaultPort ?? 0
  if (r?.http !== undefined) return { ...timing, kind: 'http', path: r.http, port }
  if (r?.tcp !== undefined && r.tcp !== false) return { ...timing, kind: 'tcp', port: typeof r.tcp === 'number' ? r.tcp : port }
  if (r?.exec !== undefined) return { ...timing, kind: 'exec', command: r.exec }
  if (r?.log !== undefined) return { ...timing, kind: 'log', pattern: r.log }
  if (r?.mongodb) return { ...timing, kind: 'mongodb', port }
  if (r?.postgres) return { ...timing, kind: 'postgres', port }
  if (kind === 'mongodb') return { ...timing, kind: 'mongodb', port }
  if (kind === 'postgres') return { ...timing, kind: 'postgres', port }
  if (kind === 'prefect') return { ...timing, kind: 'http', path: '/api/health', port }
  if (kind === 'prefect-serve') return { ...timing, kind: 'log', pattern: SERVE_READY_LINE }
  return undefined
}


const stringify = (env: Record<string, unknown>): Record<string, string> => Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]))
