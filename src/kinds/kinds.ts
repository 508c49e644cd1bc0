import { existsSync, readdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { delimiter, join, relative } from 'node:path'
import type { Kind } from '../config/model.js'
import type { Service } from '../config/types.js'
import { PulpoError } from '../errors.js'
import { RUN_CACHE } from '../project/paths.js'
import { onPath } from '../util/on-path.js'
import { postgres } from './postgres.js'
import type { KindSpec } from './types.js'

/** Where the project's run_cache/ and python_path directories appear inside a prefect-serve container. */
export const CONTAINER_PROJECT = '/pulpo'
/** A prefect-serve container says it has registered its deployments by this file (see _serve.py). */
export const SERVE_READY_FILE = '/tmp/pulpo-serve-ready'

export type { KindSpec, LocalContext } from './types.js'

const portOf = (s: Service, kind: KindSpec) => String(s.port ?? kind.defaultPort)

const mongodb: KindSpec = {
  defaultPort: 27017,
  // `mongod` when installed, else FerretDB (a MongoDB-wire server: $PULPO_FERRETDB or `ferretdb` on PATH) with its SQLite backend.
  localCommand: ({ service: s, project, dataDir, path }) => {
    const port = portOf(s, mongodb)
    const mongod = onPath('mongod', path)
    if (mongod) return [mongod, '--dbpath', dataDir, '--bind_ip', project.bind, '--port', port]
    const ferret = process.env.PULPO_FERRETDB ?? onPath('ferretdb', path) ?? cachedFerret()
    if (ferret) {
      // warn would log a stack of lines for every client that disconnects (its endSessions).
      return [ferret, '--handler=sqlite', `--sqlite-url=file:${dataDir}/`, `--state-dir=${dataDir}`, `--listen-addr=${project.bind}:${port}`, '--debug-addr=127.0.0.1:0', '--telemetry=disable', '--log-level=error']
    }
    throw new PulpoError('mongodb-missing', `service '${s.name}' (kind: mongodb) needs mongod or FerretDB, and neither is installed`, {
      hints: ['install MongoDB (mongod on PATH), or build FerretDB (see the README) and put ferretdb on PATH or set PULPO_FERRETDB', 'or run this environment in docker mode'],
    })
  },
  image: 'mongo:7',
  // On the service's port, as postgres and prefect are: other services reach it at <name>:<port>,
  // and its healthcheck asks there. mongo's images take mongod's arguments (their entrypoint runs it).
  containerCommand: (s) => ['mongod', '--bind_ip_all', '--port', portOf(s, mongodb)],
  containerDataDir: '/data/db',
  // The image's own entrypoint, which the secrets shim (it replaces the entrypoint) runs before the
  // command: mongo's creates MONGO_INITDB_ROOT_USERNAME's user on the first start.
  imageEntrypoint: ['docker-entrypoint.sh'],
}

const prefect: KindSpec = {
  defaultPort: 4200,
  localCommand: ({ service: s, project }) => [project.python, '-m', 'prefect', 'server', 'start', '--host', project.bind, '--port', portOf(s, prefect)],
  localEnv: ({ service: s, dataDir }) => ({ PREFECT_HOME: dataDir, PREFECT_SERVER_ANALYTICS_ENABLED: 'false', PREFECT_UI_API_URL: `http://127.0.0.1:${s.port}/api` }),
  image: 'prefecthq/prefect:3-latest',
  containerCommand: (s) => ['prefect', 'server', 'start', '--host', '0.0.0.0', '--port', portOf(s, prefect)],
  containerDataDir: '/root/.prefect',
}

/** The runner of the compiled flows: it imports them and, through them, the project's operations. */
const prefectServe: KindSpec = {
  localCommand: ({ project }) => [project.python, join(project.dir, RUN_CACHE, 'orchestration', '_serve.py')],
  localEnv: ({ project }) => ({ PYTHONPATH: [join(project.dir, RUN_CACHE), ...project.pythonPath].join(delimiter), PREFECT_RESULTS_PERSIST_BY_DEFAULT: 'true', PREFECT_RUNNER_POLL_FREQUENCY: '2' }),
  image: 'prefecthq/prefect:3-latest',
  containerCommand: () => ['python', `${CONTAINER_PROJECT}/run_cache/orchestration/_serve.py`],
  containerEnv: (_s, project) => ({
    PYTHONPATH: [`${CONTAINER_PROJECT}/run_cache`, ...project.pythonPath.map((p) => `${CONTAINER_PROJECT}/${relative(project.dir, p) || '.'}`)].join(':'),
    PREFECT_RESULTS_PERSIST_BY_DEFAULT: 'true',
    PULPO_READY_FILE: SERVE_READY_FILE,
  }),
  containerDataDir: '/data',
  containerVolumes: (_s, project, rel) => [`${rel(project.dir)}/run_cache:${CONTAINER_PROJECT}/run_cache:ro`, ...project.pythonPath.map((p) => `${rel(p)}:${CONTAINER_PROJECT}/${relative(project.dir, p) || '.'}:ro`)],
  healthcheck: ['CMD', 'test', '-f', SERVE_READY_FILE],
}

export const KINDS: Record<Kind, KindSpec> = {
  process: { containerDataDir: '/data' },
  mongodb,
  postgres,
  prefect,
  'prefect-serve': prefectServe,
}

/** Where scripts/setup-mongodb.sh builds FerretDB: the newest version under ~/.cache/pulpo. */
function cachedFerret(): string | undefined {
  const root = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'pulpo')
  if (!existsSync(root)) return undefined
  const builds = readdirSync(root).filter((d) => d.startsWith('ferretdb-')).sort().reverse()
  return builds.map((d) => join(root, d, 'ferretdb')).find((p) => existsSync(p))
}
