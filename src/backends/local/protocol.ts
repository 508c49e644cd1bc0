import type { WaitCondition } from '../../plan/conditions.js'
import type { ProcessSpec } from './spec.js'

/** The supervisor's lifecycle status of a service (process-compose keeps status, health and condition apart too). */
export type Status = 'starting' | 'running' | 'stopping' | 'stopped' | 'exited'
export type Health = 'healthy' | 'unhealthy' | 'unknown'

/** One service as the supervisor reports it. */
export interface ServiceView {
  name: string
  status: Status
  health: Health
  pid?: number
  startTime?: number
  startedAt?: string
  exitCode?: number | null
  signal?: string | null
  restarts: number
  /** Waiting out a restart's backoff: when the next run starts (epoch ms). */
  restartAt?: number
  /** Failing again and again without staying up: the last exit code and the restarts so far. */
  crashLoop?: { exitCode: number | null; restarts: number }
  /** Set when the supervisor gave up on the service: why. */
  failure?: string
  hash: string
  fingerprint: Record<string, string>
  /** Values of its config a plan may show (plan/fields.ts). */
  shown?: Record<string, string>
  port?: number
  logFile: string
  /** Where in its log the output since pulpo last started it begins. */
  logOffset?: number
  adopted: boolean
}

/** Requests over the supervisor's socket: one JSON line in, one JSON line out (a held start: two). */
export type Request =
  | { op: 'status' }
  /**
   * Starts a service. With `after`, once each of those services meets its condition: answered
   * `held` at once (from then on it can be waited for and named in another start's `after`), then
   * once it is started, or refused — a dependency that cannot meet its condition (`dependency`),
   * or the client going away first (nothing starts that `up` no longer waits for).
   */
  | { op: 'start'; spec: ProcessSpec; after?: Record<string, WaitCondition> }
  /** The full specs of services left running: what an adopting supervisor could not read from the state file. */
  | { op: 'refresh'; specs: ProcessSpec[] }
  | { op: 'wait'; name: string; condition: WaitCondition }
  | { op: 'stop'; name: string; forget?: boolean }
  | { op: 'shutdown' }

export type Response = { ok: true; services?: ServiceView[]; pid?: number; forced?: boolean; held?: true } | { ok: false; error: string; service?: ServiceView; dependency?: string }

/** The supervisor's state file (.pulpo/state.json): what a new supervisor adopts. */
export interface StateFile {
  version: 1
  supervisor?: { pid: number; startTime?: number }
  services: Record<string, { spec: Omit<ProcessSpec, 'env'>; pid?: number; startTime?: number; startedAt?: string; status: Status; health?: Health; exitCode?: number | null; restarts: number; logOffset?: number }>
}
