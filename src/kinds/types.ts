import type { Project, Service } from '../config/types.js'

/** What a local process of the kind needs to be told: its service, the project, where its data goes, the PATH it runs with. */
export interface LocalContext {
  service: Service
  project: Project
  dataDir: string
  path: string
}

/**
 * Everything pulpo knows per service kind, in one place: its port, how it runs as a local process
 * (its command when the service gives none, the environment it needs) and as a container (image,
 * command, environment, where its data lives, volumes, a healthcheck of its own). A new kind is a
 * new entry here. Its default probe is the config's (config/resolve.ts), as it is part of the file's
 * meaning.
 */
export interface KindSpec {
  defaultPort?: number
  /** Local mode: the command when the service has none. */
  localCommand?(ctx: LocalContext): string[]
  /** Local mode: what it needs in its environment (the service's own `env` still wins). */
  localEnv?(ctx: LocalContext): Record<string, string>
  /** Docker mode: the image when the service names none (and builds none). */
  image?: string
  /** Docker mode: the command when the service has none. */
  containerCommand?(s: Service): string[]
  /** Docker mode: what it needs in its environment. */
  containerEnv?(s: Service, project: Project): Record<string, string>
  /** Docker mode: where it keeps its data inside the container (a named volume when `persist: true`). */
  containerDataDir: string
  /** Docker mode: bind mounts, given a path relative to the compose file's directory. */
  containerVolumes?(s: Service, project: Project, rel: (p: string) => string): string[]
  /** Docker mode: a healthcheck of its own instead of its probe's. */
  healthcheck?: string[]
  /**
   * Swarm mode: the image's own entrypoint, which the secrets shim (it replaces the entrypoint)
   * runs before the command, e.g. the official postgres image's initialisation and user switch.
   */
  imageEntrypoint?: string[]
  /** The stop signal when the service names none (SIGTERM). */
  defaultStopSignal?: string
  /** Local mode: what must exist before each start (a data directory initialised once); may throw a PulpoError. */
  localSetup?(ctx: LocalContext): void
  /** Local mode: the account the process runs as, when not pulpo's own. */
  localUser?(ctx: LocalContext): { uid: number; gid: number } | undefined
}

