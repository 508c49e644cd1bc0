/** The shapes of pulpo.yaml as written (after schema validation), before environments apply. */

export type Mode = 'local' | 'docker' | 'swarm' | 'kubernetes'
export type Kind = 'process' | 'mongodb' | 'postgres' | 'prefect' | 'prefect-serve'
export type Condition = 'started' | 'healthy' | 'completed'
export type Duration = string | number

export interface RawDependency {
  condition?: Condition
  restart?: boolean
}

export interface RawReady {
  http?: string
  tcp?: boolean | number
  exec?: string | string[]
  log?: string
  mongodb?: boolean
  postgres?: boolean
  interval?: Duration
  timeout?: Duration
  settle?: Duration
}

export interface RawService {
  kind?: Kind
  description?: string
  enabled?: boolean
  command?: string | (string | number)[]
  image?: string
  build?: string | { context: string; dockerfile?: string; args?: Record<string, string | number | boolean> }
  cwd?: string
  port?: number
  env?: Record<string, string | number | boolean>
  env_file?: string | string[]
  depends_on?: string[] | Record<string, Condition | RawDependency>
  ready?: RawReady
  restart?: 'no' | 'on-failure' | 'always'
  max_restarts?: number
  backoff?: Duration
  stop?: { signal?: string; timeout?: Duration }
  persist?: boolean
  deploy?: RawDeploy
  watch?: string[]
  /** kind postgres: databases created once it is ready. */
  databases?: string[]
  /** kind prefect: the postgres service Prefect's server keeps its data in. */
  database?: string
  publish?: number | false
}

/** How a cluster runs a service (kubernetes mode). */
export interface RawDeploy {
  replicas?: number
  placement?: string[]
  resources?: { cpus?: number; memory?: number | string }
  update?: { order?: 'start-first' | 'stop-first'; parallelism?: number; monitor?: Duration }
}

export interface RawEnvironment {
  mode?: Mode
  namespace?: string
  bind?: string
  docker_host?: string
  endpoint_mode?: 'vip' | 'dnsrr'
  publish_mode?: 'ingress' | 'host'
  registry?: string
  env?: Record<string, string | number | boolean>
  services?: Record<string, RawService>
}

export interface RawIndex {
  keys: Record<string, 1 | -1 | string>
  name?: string
  unique?: boolean
  sparse?: boolean
  expire_after?: number
}

export interface RawDatamodel {
  service?: string
  database?: string
  collection?: string
  schema?: Record<string, unknown>
  indexes?: RawIndex[]
}

export type RawParam = string | { type: string; default?: unknown; description?: string }

export interface RawOperation {
  run: string
  description?: string
  params?: Record<string, RawParam>
  inputs?: string[]
  retries?: number
  retry_delay?: Duration
  timeout?: Duration
}

export interface RawConfig {
  version: number
  project?: string
  environment?: string
  mode?: Mode
  env_file?: string | string[]
  python?: string
  python_path?: string[]
  compose_file?: string
  registry?: string
  env?: Record<string, string | number | boolean>
  services?: Record<string, RawService>
  environments?: Record<string, RawEnvironment>
  datamodels?: Record<string, RawDatamodel>
  operations?: Record<string, RawOperation>
}

/** Kinds that bring their own readiness probe. */
export const KINDS_WITH_PROBE: ReadonlySet<string> = new Set(['mongodb', 'postgres', 'prefect', 'prefect-serve'])

/** What a `prefect-serve` service prints once its deployments are registered (see compile/prefect-runtime.ts). */
export const SERVE_READY_LINE = 'pulpo: deployments registered'
export const PROBE_KINDS = ['http', 'tcp', 'exec', 'log', 'mongodb', 'postgres'] as const

/** Whether a `ready` names a probe (it may hold only `settle`, or tune a kind's built-in probe). */
export const namesProbe = (ready: unknown): boolean => isRecord(ready) && PROBE_KINDS.some((k) => ready[k] !== undefined && ready[k] !== false)
export const PARAM_TYPES = ['str', 'int', 'float', 'bool', 'list', 'dict'] as const
export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/

/** A service's dependencies in one shape, whether written as a list or a map. */
export function dependencies(svc: RawService | undefined): Record<string, Required<RawDependency>> {
  const out: Record<string, Required<RawDependency>> = {}
  const deps = svc?.depends_on
  if (Array.isArray(deps)) {
    for (const d of deps) if (typeof d === 'string') out[d] = { condition: 'started', restart: false }
  } else if (deps && typeof deps === 'object') {
    for (const [name, d] of Object.entries(deps)) {
      if (typeof d === 'string') out[name] = { condition: d, restart: false }
      else if (d && typeof d === 'object') out[name] = { condition: d.condition ?? 'started', restart: d.restart ?? false }
    }
  }
  return out
}

export const isRecord = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v)
export const entries = <T>(v: Record<string, T> | undefined): [string, T][] => (isRecord(v) ? Object.entries(v) : [])
