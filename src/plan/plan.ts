/** A plan's action is its own symbol, as in Terraform. */
export const ACTIONS = { create: '+', update: '~', delete: '-', noop: ' ' } as const
export type Action = keyof typeof ACTIONS

export interface Change {
  service: string
  action: Action
  /** Why: `env.MONGO_URL changed`, `not running (exited with code 1)`, `dependency db restarts`. */
  reasons: string[]
}

export interface Plan {
  project: string
  environment: string
  mode: string
  changes: Change[]
  summary: Record<Action, number>
}

/** The desired state of one service, as the planner sees it. */
export interface Desired {
  name: string
  hash: string
  fingerprint: Record<string, string>
  dependsOn: Record<string, { restart: boolean; condition?: 'started' | 'healthy' | 'completed' }>
}

/** What runs, as a backend observed it. */
export interface Actual {
  name: string
  state: 'running' | 'starting' | 'stopped' | 'exited' | 'absent'
  health: 'healthy' | 'unhealthy' | 'unknown'
  hash?: string
  fingerprint?: Record<string, string>
  exitCode?: number | null
  pid?: number
  containerId?: string
  ports: number[]
  since?: string
  restarts: number
}

export const isActive = (a: Actual | undefined) => a !== undefined && (a.state === 'running' || a.state === 'starting')

export function summarize(changes: Change[]): Record<Action, number> {
  const summary = { create: 0, update: 0, delete: 0, noop: 0 }
  for (const c of changes) summary[c.action]++
  return summary
}
