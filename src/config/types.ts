import type { Condition, Kind, Mode, RawDatamodel, RawDeploy, RawOperation } from './model.js'

/** A readiness probe, normalised. */
export type Probe = { intervalMs: number; timeoutMs: number } & (
  | { kind: 'http'; path: string; port: number }
  | { kind: 'tcp'; port: number }
  | { kind: 'exec'; command: string | string[] }
  | { kind: 'log'; pattern: string }
  | { kind: 'mongodb'; port: number }
  | { kind: 'postgres'; port: number }
)

/** A service of one environment, with overrides merged and every value interpolated. */
export interface Service {
  name: string
  kind: Kind
  description?: string
  command?: string | string[]
  image?: string
  build?: { context: string; dockerfile?: string; args?: Record<string, string> }
  /** Absolute working directory (local mode). */
  cwd: string
  port?: number
  env: Record<string, string>
  dependsOn: Record<string, { condition: Condition; restart: boolean }>
  ready?: Probe
  /** How long a run must stay up before it is ready (`ready.settle`; 1 s without a probe, 0 with one). */
  settleMs: number
  restart: { policy: 'no' | 'on-failure' | 'always'; maxRestarts?: number; backoffMs: number }
  stop: { signal: string; timeoutMs: number }
  persist: boolean
  /** How a cluster runs it (kubernetes mode), as written. */
  deploy?: RawDeploy
  watch: string[]
  /** kind postgres: the databases it holds (its own `databases`, and those of Prefect servers that keep their data in it). */
  databases: string[]
  /** kind prefect: the postgres service it keeps its data in. */
  database?: string
  /** Docker and swarm modes: the published port (default: port), or false for none. */
  publish?: number | false
}

/** The project as one environment sees it: what every backend and generator works from. */
export interface Project {
  name: string
  /** The config file as shown to users, and the project directory. */
  file: string
  dir: string
  environment: string
  mode: Mode
  /** Host address that service ports are published on. */
  bind: string
  python: string
  pythonPath: string[]
  composeFile?: string
  /** Where `pulpo build --push` pushes: the environment's `registry`, else the top-level one. */
  registry?: string
  /** The Docker daemon to talk to (the environment's `docker_host`); unset: DOCKER_HOST or the CLI's default. */
  dockerHost?: string
  /** Swarm mode: the environment's `endpoint_mode` and `publish_mode` (unset: Swarm's defaults, vip and ingress). */
  endpointMode?: 'vip' | 'dnsrr'
  publishMode?: 'ingress' | 'host'
  /** Kubernetes mode: the namespace of the manifests (the environment's `namespace`, else the project name). */
  namespace?: string
  /** Project-wide variables, given to every service and flow run. */
  env: Record<string, string>
  services: Record<string, Service>
  /** Services of the file that this environment drops (`enabled: false`). */
  disabled?: string[]
  datamodels: Record<string, RawDatamodel>
  operations: Record<string, RawOperation>
  /** Values to mask in every output. */
  secrets: string[]
  /** Built from .pulpo/<project>/project.json (the file is broken, or named by -p): stop and show only. */
  fromRecord?: boolean
}
