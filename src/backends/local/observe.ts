import type { Actual } from '../../plan/plan.js'
import { request } from './client.js'
import type { StateDir } from '../../project/paths.js'
import { isAlive } from '../../util/procfs.js'
import type { ServiceView, Status } from './protocol.js'
import { readStateFile, UnreadableState } from './state-file.js'

/** What runs, from the supervisor; or, when it is gone, from its state file and /proc. */
export interface Observed {
  supervisor: boolean
  services: ServiceView[]
  /** Without a supervisor: the state file is there but cannot be read, and why. */
  unreadable?: string
}

export async function observe(dirs: StateDir): Promise<Observed> {
  const res = await request(dirs, { op: 'status' })
  if (res?.ok && res.services) return { supervisor: true, services: res.services }
  try {
    return { supervisor: false, services: fromStateFile(dirs) }
  } catch (e) {
    if (e instanceof UnreadableState) return { supervisor: false, services: [], unreadable: e.message }
    throw e
  }
}

/**
 * The truth without a supervisor: a service runs only if its recorded process does (pid + start
 * time). A state file that cannot be read is an UnreadableState error (state-file.ts).
 */
export function fromStateFile(dirs: StateDir): ServiceView[] {
  const state = readStateFile(dirs)
  if (!state) return []
  return Object.entries(state.services ?? {}).map(([name, s]) => {
    const alive = s.pid !== undefined && isAlive(s.pid, s.startTime)
    const status: Status = alive ? 'running' : s.status === 'stopped' ? 'stopped' : s.status === 'exited' || s.pid ? 'exited' : 'stopped'
    return {
      name,
      status,
      health: 'unknown',
      ...(alive ? { pid: s.pid, startTime: s.startTime } : {}),
      ...(s.startedAt ? { startedAt: s.startedAt } : {}),
      ...(s.exitCode !== undefined ? { exitCode: s.exitCode } : {}),
      restarts: s.restarts ?? 0,
      hash: s.spec.hash,
      fingerprint: s.spec.fingerprint,
      ...(s.spec.shown ? { shown: s.spec.shown } : {}),
      ...(s.spec.port !== undefined ? { port: s.spec.port } : {}),
      logFile: s.spec.logFile,
      ...(typeof s.logOffset === 'number' ? { logOffset: s.logOffset } : {}),
      adopted: false,
    }
  })
}

/** A supervisor's view in the planner's terms. */
export function toActual(v: ServiceView, now = Date.now()): Actual {
  const state = v.status === 'stopping' ? 'running' : v.status
  // Between two runs the pid on record is the dead one: not shown.
  const waiting = v.restartAt !== undefined && state === 'starting'
  return {
    name: v.name,
    state,
    health: v.health,
    hash: v.hash,
    fingerprint: v.fingerprint,
    ...(v.shown ? { shown: v.shown } : {}),
    ...(v.exitCode !== undefined ? { exitCode: v.exitCode } : {}),
    ...(v.pid && !waiting && (state === 'running' || state === 'starting') ? { pid: v.pid } : {}),
    ports: v.port !== undefined && (state === 'running' || state === 'starting') ? [v.port] : [],
    ...(v.startedAt && !waiting && (state === 'running' || state === 'starting') ? { since: v.startedAt } : {}),
    restarts: v.restarts,
    ...(v.failure ? { failure: v.failure } : {}),
    ...(waiting ? { restartingInMs: Math.max(0, v.restartAt! - now) } : {}),
    ...(v.crashLoop ? { crashLoop: v.crashLoop } : {}),
  }
}
