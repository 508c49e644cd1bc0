import type { FSWatcher } from 'node:fs'
import type { ChildProcess } from 'node:child_process'
import type { Health, ServiceView, Status } from './protocol.js'
import type { ProcessSpec } from './spec.js'

/** A service as the supervisor holds it: its spec, its lifecycle, and what drives its current run. */
export interface Managed {
  spec: ProcessSpec
  status: Status
  health: Health
  pid?: number
  startTime?: number
  startedAt?: string
  exitCode?: number | null
  signal?: string | null
  restarts: number
  consecutive: number
  failure?: string
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
}

/** A service as the supervisor reports it (status requests, failed waits). */
export function viewOf(m: Managed): ServiceView {
  return {
    name: m.spec.name,
    status: m.status,
    health: m.health,
    ...(m.pid ? { pid: m.pid, startTime: m.startTime } : {}),
    ...(m.startedAt ? { startedAt: m.startedAt } : {}),
    ...(m.exitCode !== undefined ? { exitCode: m.exitCode } : {}),
    ...(m.signal ? { signal: m.signal } : {}),
    restarts: m.restarts,
    ...(m.failure ? { failure: m.failure } : {}),
    hash: m.spec.hash,
    fingerprint: m.spec.fingerprint,
    ...(m.spec.port !== undefined ? { port: m.spec.port } : {}),
    logFile: m.spec.logFile,
    adopted: m.adopted,
  }
}
