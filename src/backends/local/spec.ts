import { delimiter, dirname, isAbsolute } from 'node:path'
import type { Probe, Project, Service } from '../../config/types.js'
import { PulpoError } from '../../errors.js'
import { KINDS, type LocalContext } from '../../kinds/kinds.js'
import { fingerprint, hashOf } from '../../plan/hash.js'
import { shownValues } from '../../plan/fields.js'
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
  /** How long a run must stay up before it is ready (absent in a state file of an older pulpo). */
  settleMs?: number
  restart: Service['restart']
  stop: Service['stop']
  logFile: string
  dataDir: string
  persist: boolean
  watch: string[]
  /** The account it runs as, when not the supervisor's (postgres refuses to run as root). */
  user?: { uid: number; gid: number }
  hash: string
  fingerprint: Record<string, string>
  /** Values of its config a plan may show (plan/fields.ts): no env, command or image. */
  shown?: Record<string, string>
  /** Set on a service adopted from the state file, which keeps no environment, until `up` refreshes it. */
  envNotKept?: true
  /**
   * The secret values its command or exec probe holds: written `***` in the state file. Sent, like
   * `env`, only over the supervisor's private socket.
   */
  secrets?: string[]
}

/** What a service's kind is told about it locally. */
export function localContext(s: Service, project: Project, dirs: StateDir): LocalContext {
  // `python` in a command means the project's interpreter, as in an activated venv.
  const pyDir = isAbsolute(project.python) ? dirname(project.python) : undefined
  return { service: s, project, dataDir: dirs.data(s.name), path: [pyDir, process.env.PATH].filter(Boolean).join(delimiter) }
}

/** A service of the project as the local backend runs it. */
export function processSpec(s: Service, project: Project, dirs: StateDir): ProcessSpec {
  const ctx = localContext(s, project, dirs)
  const { dataDir, path } = ctx
  const kind = KINDS[s.kind]
  const command = s.command ?? kind.localCommand?.(ctx)
  if (command === undefined) throw new PulpoError('no-command', `service '${s.name}' has no command for local mode`, { hints: ['add command: to the service'] })
  const env: Record<string, string> = {
    ...inheritedEnv(),
    PATH: path,
    PULPO_PROJECT: project.name,
    PULPO_SERVICE: s.name,
    PULPO_DATA_DIR: dataDir,
    ...kind.localEnv?.(ctx),
    ...(s.port !== undefined ? { PORT: String(s.port) } : {}),
    ...s.env,
  }
  const fp = fingerprint(s, project.dir)
  const user = kind.localUser?.(ctx)
  const args = [command, s.ready?.kind === 'exec' ? s.ready.command : []].flat()
  const secrets = project.secrets.filter((v) => args.some((a) => a.includes(v)))
  return {
    name: s.name,
    command,
    cwd: s.cwd,
    env,
    ...(s.port !== undefined ? { port: s.port } : {}),
    bind: project.bind,
    ...(s.ready ? { probe: s.ready } : {}),
    settleMs: s.settleMs,
    restart: s.restart,
    stop: s.stop,
    logFile: dirs.log(s.name),
    dataDir,
    persist: s.persist,
    watch: s.watch,
    ...(user ? { user: { uid: user.uid, gid: user.gid } } : {}),
    hash: hashOf(fp),
    fingerprint: fp,
    shown: shownValues(s),
    ...(secrets.length ? { secrets } : {}),
  }
}

/** The parts of pulpo's own environment a service inherits: enough to run, nothing of pulpo's. */
export function inheritedEnv(): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('PULPO_') || k === 'NODE_OPTIONS') continue
    out[k] = v
  }
  return out
}
