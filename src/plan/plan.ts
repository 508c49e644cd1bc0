import type { Condition } from './conditions.js'
import type { FieldChange } from './fields.js'

/** A plan's action is its own symbol, as in Terraform. */
export const ACTIONS = { create: '+', update: '~', delete: '-', noop: ' ' } as const
export type Action = keyof typeof ACTIONS

/**
 * Why a step is in the plan, as data (Terraform's typed plans, compose's Operation.Cause). The
 * words come from one renderer (render/plan.ts), for people and for `--json`'s `reasons` alike.
 */
export type Reason =
  /** Desired, and nothing of it runs. */
  | { kind: 'absent' }
  /** Desired running, observed otherwise (exited, with its code when known; stopped). */
  | { kind: 'drift'; observed: Actual['state']; exitCode?: number | null }
  /** Its config differs from what runs, in these fields (`env.MONGO_URL`, `command`...): how, in `changes`. */
  | { kind: 'changed'; fields: string[]; changes?: FieldChange[] }
  /** Restarted although unchanged: `pulpo restart` named it. */
  | { kind: 'requested' }
  /** A dependency it opted to restart with (`restart: true`) restarts. */
  | { kind: 'dependency'; name: string }
  /** It runs, and the environment no longer has it (`disabledIn`: the file has it, this environment disables it). */
  | { kind: 'removed'; disabledIn?: string }
  /** A resource inside a service (a datamodel) differs from pulpo.yaml in these ways. */
  | { kind: 'differs'; changes: string[] }
  /** A resource whose state is not known before its service is ready: brought to pulpo.yaml then (idempotent). */
  | { kind: 'ensure' }

/** One service's step. */
export interface Step {
  service: string
  action: Action
  causes: Reason[]
  /** What it waits for before it starts: each dependency with its condition (the plan's edges). */
  after: Record<string, Condition>
}

/**
 * A step on a resource that lives inside a service (a datamodel in a database; databases of a
 * postgres service): it runs once `service` is ready, and before any dependent of the
 * service that waits for it to be healthy starts.
 */
export interface ResourceStep {
  /** `datamodel:jobs`, `database:pg/prefect`: the kind and the name, unique in the plan. */
  id: string
  kind: 'datamodel' | 'database'
  name: string
  service: string
  /** Where it is, for people: `db.jobs`. */
  where?: string
  /** A database is created; a datamodel is updated (brought to pulpo.yaml). Nothing is deleted. */
  action: Exclude<Action, 'delete'>
  causes: Reason[]
}

export interface Plan {
  project: string
  environment: string
  mode: string
  /** One per service in scope, sorted by name. */
  steps: Step[]
  resources: ResourceStep[]
  /** Counts of the service steps by action. */
  summary: Record<Action, number>
}

/** The desired state of one service, as the planner sees it. */
export interface Desired {
  name: string
  hash: string
  fingerprint: Record<string, string>
  /** Values that may be shown in a plan, by the user's key (plan/fields.ts). */
  shown?: Record<string, string>
  dependsOn: Record<string, { restart: boolean; condition?: Condition }>
}

/** What runs, as a backend observed it. */
export interface Actual {
  name: string
  state: 'running' | 'starting' | 'stopped' | 'exited' | 'absent'
  health: 'healthy' | 'unhealthy' | 'unknown'
  hash?: string
  fingerprint?: Record<string, string>
  /** The shown values of the config it runs with, when recorded. */
  shown?: Record<string, string>
  exitCode?: number | null
  pid?: number
  containerId?: string
  ports: number[]
  since?: string
  restarts: number
  /** Swarm mode: tasks running of desired, the nodes they run on, the image, the update state. */
  swarm?: SwarmInfo
  /** Why it is not running, when the backend knows (`gave up after 3 restarts`). */
  failure?: string
  /** Waiting out a restart's backoff: the next run starts in this many ms. */
  restartingInMs?: number
  /** Failing again and again without staying up: the last exit code and the restarts so far. */
  crashLoop?: { exitCode: number | null; restarts: number }
}

/** What a cluster says of a service beyond one process (the contract's v1.1 status fields). */
export interface SwarmInfo {
  replicas: { running: number; desired: number }
  nodes: string[]
  image?: string
  /** updating, completed, rolled_back, rolling_back, paused... */
  update: string
  /** Its spec was changed outside pulpo (`docker service update` by hand). */
  drift?: boolean
  /** None of its tasks runs and they fail again and again: how many, and the newest one's error. */
  failing?: { tasks: number; error: string }
}

export const isActive = (a: Actual | undefined) => a !== undefined && (a.state === 'running' || a.state === 'starting')

export function summarize(steps: Step[]): Record<Action, number> {
  const summary = { create: 0, update: 0, delete: 0, noop: 0 }
  for (const c of steps) summary[c.action]++
  return summary
}

/** Whether a step (re)starts its service: created, or updated (stopped, then started again). */
export const starts = (s: Step) => s.action === 'create' || s.action === 'update'
