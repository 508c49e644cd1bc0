import type { FSWatcher } from 'node:fs'
import type { ChildProcess } from 'node:child_process'
import { evaluate as evaluateCondition, type Lifecycle, type Verdict, type WaitCondition } from '../../plan/conditions.js'
import type { ProbeContext } from '../../probes/attempt.js'
import type { ServiceView } from './protocol.js'
import type { ProcessSpec } from './spec.js'

/** A service as the supervisor holds it: its spec, its lifecycle, and what drives its current run. */
export interface Managed extends Pick<ServiceView, 'status' | 'health' | 'pid' | 'startTime' | 'startedAt' | 'exitCode' | 'signal' | 'restarts' | 'restartAt' | 'failure'> {
  spec: ProcessSpec
  /** Restarts in a row without staying up (reset after a stable run). */
  consecutive: number
  /** The size of its log when pulpo last started it: what came before is earlier runs'. */
  logOffset?: number
  /** The exit code of the last run that ended by itself (kept through the next run). */
  lastExit?: number | null
  child?: ChildProcess
  adopted: boolean
  /** Ends this run's probe loop, restart timer and adoption poll. */
  run?: AbortController
  restartTimer?: NodeJS.Timeout
  watcher?: Pick<FSWatcher, 'close'>
  /** Set while a watched file's change restarts the service. */
  reloading?: boolean
  /** Set while pulpo itself stops the service, so its exit is not a crash. */
  stopping?: Promise<boolean>
  /** Set while a start waits for its dependencies (a held start); aborting it calls the start off. */
  held?: AbortController
}

/** A service that failed this many times in a row without staying up is in a crash loop. */
export const CRASH_LOOP_AFTER = 2

/** A service as the supervisor reports it (status requests, failed waits). */
export function viewOf(m: Managed): ServiceView {
  return {
    name: m.spec.name,
    // A held start is a start under way: its process comes once its dependencies are ready.
    status: m.held ? 'starting' : m.status,
    health: m.health,
    ...(m.pid ? { pid: m.pid, startTime: m.startTime } : {}),
    ...(m.startedAt ? { startedAt: m.startedAt } : {}),
    ...(m.exitCode !== undefined ? { exitCode: m.exitCode } : {}),
    ...(m.signal ? { signal: m.signal } : {}),
    restarts: m.restarts,
    ...(m.restartAt !== undefined ? { restartAt: m.restartAt } : {}),
    ...(m.consecutive >= CRASH_LOOP_AFTER && m.lastExit !== 0 && m.lastExit !== undefined && (m.status === 'running' || m.status === 'starting') ? { crashLoop: { exitCode: m.lastExit, restarts: m.restarts } } : {}),
    ...(m.failure ? { failure: m.failure } : {}),
    hash: m.spec.hash,
    fingerprint: m.spec.fingerprint,
    ...(m.spec.shown ? { shown: m.spec.shown } : {}),
    ...(m.spec.port !== undefined ? { port: m.spec.port } : {}),
    logFile: m.spec.logFile,
    ...(m.logOffset !== undefined ? { logOffset: m.logOffset } : {}),
    adopted: m.adopted,
  }
}

/**
 * What a probe attempt reads of its service, read again at each attempt: a service taken over from
 * the state file (no env, `***` for a secret in its exec probe) is probed as it should be once
 * `up` hands its full spec back (refresh).
 */
export function probeContext(m: Managed, logOffset: number): ProbeContext {
  return {
    get bind() {
      return m.spec.bind
    },
    get cwd() {
      return m.spec.cwd
    },
    get env() {
      return m.spec.env
    },
    get command() {
      return m.spec.probe?.kind === 'exec' ? m.spec.probe.command : undefined
    },
    logFile: m.spec.logFile,
    logOffset,
  }
}

/**
 * Whether a watched file's change may restart it: it runs, and not on the spec of a service taken
 * over from the state file (no env, `***` for secrets) until `up` hands the full one back.
 */
export function reloadable(m: Managed): boolean {
  return (m.status === 'running' || m.status === 'starting') && !m.spec.envNotKept
}

/** Already running (or starting) with this very spec: a start has nothing to do. */
export function runsWith(m: Managed | undefined, spec: ProcessSpec): boolean {
  return !!m && !m.held && (m.status === 'running' || m.status === 'starting') && m.spec.hash === spec.hash
}

/** The supervisor's side of the one condition code (plan/conditions.ts). */
export function evaluate(m: Managed, condition: WaitCondition): Verdict {
  return evaluateCondition(condition, lifecycleOf(m))
}

/** A managed service in the terms conditions are decided on. */
export function lifecycleOf(m: Managed): Lifecycle {
  // Waiting out a restart's backoff after an exit: a crash, unless it exited 0.
  const restarting = !m.reloading && m.status === 'starting' && m.restartAt !== undefined
  // Reloading after a watched change, held until its dependencies are ready, or about to be
  // spawned: not decided yet.
  const between = m.reloading || m.held !== undefined || (m.status === 'starting' && !m.child && !m.adopted && !restarting)
  const upMs = m.startedAt && (m.status === 'running' || m.status === 'starting') ? Date.now() - Date.parse(m.startedAt) : undefined
  return {
    status: m.status,
    health: m.health,
    exitCode: m.exitCode,
    hasProbe: m.spec.probe !== undefined,
    failure: m.failure,
    between,
    restarting,
    ...(upMs !== undefined ? { upMs } : {}),
    settleMs: m.spec.settleMs ?? 0,
  }
}
