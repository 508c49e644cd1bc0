import type { Project } from '../config/types.js'
import type { WaitCondition } from '../plan/conditions.js'
import type { Actual, Plan, Step } from '../plan/plan.js'

/**
 * What a backend is: a few primitives on one service at a time. The orchestration — the order,
 * the conditions dependents wait for, parallelism, skipping what depends on a failure, resource
 * steps, progress — is the executor's (app/executor.ts), the same for every backend. Read
 * docs/architecture.md with this file to add a backend.
 */
export interface Backend {
  /** What runs now, in the planner's terms, plus notes worth telling (e.g. the supervisor is gone). */
  observe(project: Project): Promise<{ actual: Actual[]; notes: string[] }>

  /**
   * Once before a plan is carried out, for what the backend needs first (the local supervisor
   * running; the compose file written). May reject with a PulpoError: nothing has been done yet.
   */
  prepare(project: Project, plan: Plan, signal?: AbortSignal): Promise<void>

  /**
   * Optional: called by `up` as soon as it holds the project's lock, before the plan is made, to
   * get under way what `prepare` will need without waiting for it (local: the supervisor, whose
   * start then overlaps the planning). Its failure is `prepare`'s.
   */
  warm?(project: Project): void

  /**
   * Stops one service (its dependents, if stopping too, are already stopped). `remove`: it is gone
   * from the configuration, forget it (its container, its state); else it is started again next.
   */
  stop(project: Project, service: string, opts: { remove: boolean }): Promise<void>

  /**
   * Starts one service, created or with its new config (updated services were stopped before).
   * Resolves once the start is under way — from then on it can be waited for — not once it is
   * ready. Rejects with ServiceFailed when it cannot be started (a port held by another process).
   */
  start(project: Project, step: Step, opts: { signal?: AbortSignal; progress(text: string): void }): Promise<void>

  /**
   * Optional: starts one service once each dependency in `after` meets its condition, decided by
   * the backend itself — the local supervisor spawns a dependent the moment its dependencies are
   * ready, without a round trip to this process per level of the graph. `accepted` is called once
   * the backend knows of the start (from then on it can be waited for, and named in another
   * start's `after`). Resolves once it is started; rejects with DependencyFailed (and starts
   * nothing) when a dependency cannot meet its condition, with ServiceFailed as `start` does.
   */
  startAfter?(project: Project, step: Step, after: Record<string, WaitCondition>, opts: { signal?: AbortSignal; progress(text: string): void; accepted(): void }): Promise<void>

  /**
   * Resolves once `condition` holds for the service (decide it with plan/conditions.ts `evaluate`),
   * rejects with ServiceFailed once it cannot any more (exited, unhealthy, not ready in time).
   */
  waitFor(project: Project, service: string, condition: WaitCondition, signal?: AbortSignal): Promise<void>

  /** The last lines of a service's output, shown under its failure. */
  tail(project: Project, service: string): Promise<string[]>

  /** Once after a plan was carried out, whatever its outcome (docker records the applied fingerprints). */
  finish?(project: Project, plan: Plan): Promise<void>

  /** Stops services (all when none are named), dependents first; `volumes` removes their data. */
  down(project: Project, services: string[], opts: { progress: Progress; volumes: boolean }): Promise<DownResult>

  /** Prints merged logs; with `follow`, until the signal aborts. */
  logs(project: Project, services: string[], opts: { follow: boolean; tail: number; signal: AbortSignal; write(line: string): void }): Promise<void>
}

/** A service that did not come up or could not be waited for: why, and what the user can do. */
export class ServiceFailed extends Error {
  constructor(readonly service: string, reason: string, readonly hints: string[] = []) {
    super(reason)
  }
}

/**
 * Whether a command pulpo ran was cut short by Ctrl-C: a terminal's Ctrl-C reaches pulpo's
 * children too, and one may be seen to end before pulpo's own handler has run (the abort
 * `signal` not set yet). Killed by SIGINT or SIGTERM, or exit 130 (compose v2 catches SIGINT).
 */
export function interruptedRun(r: { exitCode?: number; signal?: string }, signal?: AbortSignal): boolean {
  return !!signal?.aborted || r.signal === 'SIGINT' || r.signal === 'SIGTERM' || r.exitCode === 130
}

/** A start held until its dependencies are ready, called off because one of them cannot be. */
export class DependencyFailed extends Error {
  constructor(readonly service: string, readonly dependency: string, readonly reason: string) {
    super(`${dependency}: ${reason}`)
  }
}

/** How a service's turn in `up`/`down` went, as a command shows it. */
export type ServiceResult =
  /** `outcome`: what happened, in a word (`ready`, `completed`, `stopped`); default the progress's verb. */
  | { service: string; status: 'done'; action: string; ms: number; outcome?: 'ready' | 'completed' | 'stopped' }
  /** `started: false`: its start never got under way, so it wrote nothing in this attempt. */
  | { service: string; status: 'failed'; action: string; reason: string; logs: string[]; started?: false; hints?: string[] }
  | { service: string; status: 'skipped'; action: string; reason: string }

/** What `down` did: each service's removal, and (swarm) where each persisted service's data was and what became of it. */
export interface DownResult {
  results: ServiceResult[]
  data?: DataRemoval[]
}

/**
 * One persisted service's data on one node after `down --volumes`: `removed` (its volume is gone),
 * `emptied` (its files are gone, the empty volume stays on a node pulpo cannot reach), or `failed`
 * (its data there stays, whole unless a clean-up failed part-way: `reason` says why, `commands`
 * what to run and where).
 */
export interface DataRemoval {
  service: string
  volume: string
  /** The node's hostname. */
  node: string
  outcome: 'removed' | 'emptied' | 'failed'
  reason?: string
  /** Each `on WHERE: COMMAND`: what finishes the job by hand. */
  commands?: string[]
}

/** Progress of one service, for listr2 (or nothing under --json). */
export interface Progress {
  update(service: string, text: string): void
  /** A service's turn is over (reported as it happens, so the output follows the real order). */
  done(result: ServiceResult): void
}
