import type { Project } from '../config/types.js'
import type { Actual, Plan } from '../plan/plan.js'

/** How a service's turn in `up`/`down` went, as a command shows it. */
export type ServiceResult =
  | { service: string; status: 'done'; action: string; ms: number }
  | { service: string; status: 'failed'; action: string; reason: string; logs: string[]; hints?: string[] }
  | { service: string; status: 'skipped'; action: string; reason: string }

/** Progress of one service, for listr2 (or nothing under --json). */
export interface Progress {
  update(service: string, text: string): void
  /** A service's turn is over (reported as it happens, so the output follows the real order). */
  done(result: ServiceResult): void
}

export interface ApplyOptions {
  progress: Progress
  signal?: AbortSignal
  /**
   * Runs once a service is ready (started now or already running), before any dependent that waits
   * for it to be healthy starts: where datamodels are initialised. A rejection fails the service.
   */
  afterReady?(service: string, progress: (text: string) => void): Promise<void>
}

/** What every backend does; commands talk only to this. */
export interface Backend {
  /** What runs now, in the planner's terms, plus notes worth telling (e.g. the supervisor is gone). */
  observe(project: Project): Promise<{ actual: Actual[]; notes: string[] }>
  /** Applies a plan: stops what goes or changes (dependents first), then starts in dependency order. */
  apply(project: Project, plan: Plan, opts: ApplyOptions): Promise<ServiceResult[]>
  /** Stops services (all when none are named), dependents first; `volumes` removes their data. */
  down(project: Project, services: string[], opts: ApplyOptions & { volumes: boolean }): Promise<ServiceResult[]>
  /** Prints merged logs; with `follow`, until the signal aborts. */
  logs(project: Project, services: string[], opts: { follow: boolean; tail: number; signal: AbortSignal; write(line: string): void }): Promise<void>
}
