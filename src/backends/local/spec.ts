import { existsSync, readdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { delimiter, dirname, isAbsolute, join } from 'node:path'
import type { Probe, Project, Service } from '../../config/types.js'
import { PulpoError } from '../../errors.js'
import { fingerprint, hashOf } from '../../plan/hash.js'
import { RUN_CACHE } from '../../compile/index.js'
import type { StateDir } from '../../project/paths.js'

/** Everything the supervisor needs to run, probe, restart and stop one service. */
export interface ProcessSpec {
  name: string
  /** argv, or a string for /bin/sh -c. */
  command: string | string[]
  cwd: string
  env: Record<string, string>
  port?: number
  bind: string
  probe?: Probe
  restart: Service['restart']
  stop: Service['stop']
  logFile: string
  dataDir: string
  persist: boolean
  watch: string[]
  hash: string
  fingerprint: Record<string, string>
}

/** Finds an executable on PATH (or by path); undefined when there is none. */
export function which(cmd: string, path = process.env.PATH ?? ''): string | undefined {
  if (cmd.includes('/')) return existsSync(cmd) ? cmd : undefined
  for (const dir of path.split(delimiter)) {
    if (dir && existsSync(join(dir, cmd))) return join(dir, cmd)
  }
  return undefined
}

/**
 * The command of a built-in kind in local mode. mongodb: `mongod` when installed, else FerretDB
 * (a MongoDB-wire server: $PULPO_FERRETDB or `ferretdb` on PATH) with its SQLite backend.
 */
function kindCommand(s: Service, project: Project, dataDir: string, path: string): string[] | undefined {
  const port = String(s.port ?? (s.kind === 'mongodb' ? 27017 : 4200))
  if (s.kind === 'prefect') {
    return [project.python, '-m', 'prefect', 'server', 'start', '--host', project.bind, '--port', port]
  }
  if (s.kind === 'prefect-serve') {
    return [project.python, join(project.dir, RUN_CACHE, 'orchestration', '_serve.py')]
  }
  if (s.kind === 'mongodb') {
    const mongod = which('mongod', path)
    if (mongod) return [mongod, '--dbpath', dataDir, '--bind_ip', project.bind, '--port', port]
    const ferret = process.env.PULPO_FERRETDB ?? which('ferretdb', path) ?? cachedFerret()
    if (ferret) {
      // warn would log a stack of lines for every client that disconnects (its endSessions).
      return [ferret, '--handler=sqlite', `--sqlite-url=file:${dataDir}/`, `--state-dir=${dataDir}`, `--listen-addr=${project.bind}:${port}`, '--debug-addr=127.0.0.1:0', '--telemetry=disable', '--log-level=error']
    }
    throw new PulpoError('mongodb-missing', `service '${s.name}' (kind: mongodb) needs mongod or FerretDB, and neither is installed`, {
      hints: ['install MongoDB (mongod on PATH), or build FerretDB (see the README) and put ferretdb on PATH or set PULPO_FERRETDB', 'or run this environment in docker mode'],
    })
  }
  return undefined
}

/** Where scripts/setup-mongodb.sh builds FerretDB: the newest version under ~/.cache/pulpo. */
function cachedFerret(): string | undefined {
  const root = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'pulpo')
  if (!existsSync(root)) return undefined
  const builds = readdirSync(root).filter((d) => d.startsWith('ferretdb-')).sort().reverse()
  return builds.map((d) => join(root, d, 'ferretdb')).find((p) => existsSync(p))
}

/** A service of the project as the local backend runs it. */
export function processSpec(s: Service, project: Project, dirs: StateDir): ProcessSpec {
  const dataDir = dirs.data(s.name)
  // `python` in a command means the project's interpreter, as in an activated venv.
  const pyDir = isAbsolute(project.python) ? dirname(project.python) : undefined
  const path = [pyDir, process.env.PATH].filter(Boolean).join(delimiter)
  const command = s.command ?? kindCommand(s, project, dataDir, path)
  if (command === undefined) throw new PulpoError('no-command', `service '${s.name}' has no command for local mode`, { hints: ['add command: to the service'] })
  const env: Record<string, string> = {
    ...inheritedEnv(),
    PATH: path,
    PULPO_PROJECT: project.name,
    PULPO_SERVICE: s.name,
    PULPO_DATA_DIR: dataDir,
    // The runner imports the compiled flows and, through them, the project's operations.
    ...(s.kind === 'prefect-serve' ? { PYTHONPATH: [join(project.dir, RUN_CACHE), ...project.pythonPath].join(delimiter), PREFECT_RESULTS_PERSIST_BY_DEFAULT: 'true', PREFECT_RUNNER_POLL_FREQUENCY: '2' } : {}),
    ...(s.kind === 'prefect' ? { PREFECT_HOME: dataDir, PREFECT_SERVER_ANALYTICS_ENABLED: 'false', PREFECT_UI_API_URL: `http://127.0.0.1:${s.port}/api` } : {}),
    ...(s.port !== undefined ? { PORT: String(s.port) } : {}),
    ...s.env,
  }
  const fp = fingerprint(s, project.dir)
  return {
    name: s.name,
    command,
    cwd: s.cwd,
    env,
    ...(s.port !== undefined ? { port: s.port } : {}),
    bind: project.bind,
    ...(s.ready ? { probe: s.ready } : {}),
    restart: s.restart,
    stop: s.stop,
    logFile: dirs.log(s.name),
    dataDir,
    persist: s.persist,
    watch: s.watch,
    hash: hashOf(fp),
    fingerprint: fp,
  }
}

/** The parts of pulpo's own environment a service inherits: enough to run, nothing of pulpo's. */
function inheritedEnv(): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('PULPO_') || k === 'NODE_OPTIONS') continue
    out[k] = v
  }
  return out
}
