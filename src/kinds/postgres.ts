import type { Service } from '../config/types.js'
import { binariesFor, initOnce, runAs, serverArgs, wrap } from '../postgres/local.js'
import type { KindSpec, LocalContext } from './types.js'

export const POSTGRES_PORT = 5432
/** The official image's data directory (PGDATA). */
export const POSTGRES_DATA_DIR = '/var/lib/postgresql/data'
export const POSTGRES_IMAGE = 'postgres:16'

const portOf = (s: Service) => s.port ?? POSTGRES_PORT

/**
 * A postgres service as a container, for every container backend (Compose here, Swarm too):
 * the image, its command, what it needs in its environment, its healthcheck (pg_isready, which
 * both the official image and Debian's postgresql have; it reads the port from PULPO_PROBE_PORT,
 * so nothing of the file is spliced into the shell), where its data lives (a named volume with
 * `persist: true`) and the stop signal of a fast shutdown.
 */
export function postgresContainer(s: Service) {
  return {
    image: s.image ?? POSTGRES_IMAGE,
    command: ['postgres', '-p', String(portOf(s)), '-c', 'listen_addresses=*'],
    environment: { PGDATA: POSTGRES_DATA_DIR, PULPO_PROBE_PORT: String(portOf(s)) },
    healthcheck: ['CMD-SHELL', 'pg_isready -q -h 127.0.0.1 -p "$${PULPO_PROBE_PORT}"'],
    dataDir: POSTGRES_DATA_DIR,
    stopSignal: 'SIGINT',
  }
}

/**
 * PostgreSQL's server. Locally: the binaries found on PATH or under /usr/lib/postgresql, the data
 * directory initialised once (initdb, with the configured superuser and password), run as the
 * postgres user when pulpo runs as root. Its default stop is SIGINT, PostgreSQL's fast shutdown:
 * SIGTERM is its smart shutdown, which waits for every client (Prefect's pool) to leave, and the
 * SIGKILL after the stop timeout would make the next start recover from the WAL.
 */
export const postgres: KindSpec = {
  defaultPort: POSTGRES_PORT,
  defaultStopSignal: 'SIGINT',
  localCommand: ({ service: s, project, dataDir, path }: LocalContext) => wrap(serverArgs(binariesFor(s, dataDir, path), dataDir, project.bind, portOf(s)), runAs(dataDir)),
  localSetup: ({ service: s, dataDir, path }: LocalContext) => initOnce(s, binariesFor(s, dataDir, path), dataDir),
  localUser: ({ dataDir }: LocalContext) => {
    const how = runAs(dataDir)
    return how.kind === 'user' ? { uid: how.uid, gid: how.gid } : undefined
  },
  image: POSTGRES_IMAGE,
  containerCommand: (s) => postgresContainer(s).command,
  containerEnv: (s) => postgresContainer(s).environment,
  containerDataDir: POSTGRES_DATA_DIR,
  healthcheck: postgresContainer({ port: POSTGRES_PORT } as Service).healthcheck,
  imageEntrypoint: ['docker-entrypoint.sh'],
}
