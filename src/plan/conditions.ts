/**
 * The conditions a dependent waits for, decided in one place for every backend and for the local
 * supervisor (compose's `waitDependencies`, process-compose's `waitIfNeeded`): the supervisor
 * answers `wait` requests with it, the executor gates dependents with it, the docker backend
 * reads containers with it.
 */

/** What `depends_on` can wait for. */
export type Condition = 'started' | 'healthy' | 'completed'
/** What a caller can wait for: `ready` is healthy for a service with a probe, else started. */
export type WaitCondition = Condition | 'ready'

/** A service's lifecycle as a backend sees it, in the terms conditions are decided on. */
export interface Lifecycle {
  status: 'created' | 'starting' | 'running' | 'stopping' | 'stopped' | 'exited' | 'absent'
  health: 'healthy' | 'unhealthy' | 'unknown'
  exitCode?: number | null
  /** Whether readiness is probed: without a probe, ready means started. */
  hasProbe: boolean
  /** Why it failed or turned unhealthy, when known. */
  failure?: string
  /** Between two runs for a reason other than a crash (a reload on a watched change): undecided yet. */
  between?: boolean
  /** Between two runs by its restart policy, after the exit in `exitCode`. */
  restarting?: boolean
  /** How long its current run has been up, in ms (unknown: as long as it takes). */
  upMs?: number
  /**
   * How long a run must stay up before `ready` holds (`ready.settle`): a process that exits during
   * it did not come up, whatever its restart policy does next.
   */
  settleMs?: number
}

export type Verdict = 'ok' | 'pending' | { fail: string }

/** Whether `condition` holds for a service, cannot hold any more (and why), or may still. */
export function evaluate(condition: WaitCondition, l: Lifecycle): Verdict {
  if (l.between) return 'pending'
  if (l.restarting) {
    // Without a probe, ready means it stays up: a crash is the answer, even if it will be retried
    // (a crash loop reported as up was the alternative). A probe may still pass after a restart,
    // within its timeout, so a probed service is waited for through its restarts.
    if (condition === 'ready' && !l.hasProbe && l.exitCode !== 0) return { fail: `${l.failure ?? exitWords(l.exitCode)}; restarting (crash loop)` }
    return 'pending'
  }
  const verdict = decide(condition, l)
  if (verdict === 'ok' && condition === 'ready' && settleLeft(l) > 0) return 'pending'
  return verdict
}

/** How much longer a run must stay up before `ready` can hold (0 when settled, or not running). */
export function settleLeft(l: Lifecycle): number {
  if (l.status !== 'running' && l.status !== 'starting') return 0
  return Math.max(0, (l.settleMs ?? 0) - (l.upMs ?? Infinity))
}

const exitWords = (code: number | null | undefined) => (code === null || code === undefined ? 'exited' : `exited with code ${code}`)

function decide(condition: WaitCondition, l: Lifecycle): Verdict {
  const gone = l.status === 'exited' || l.status === 'stopped' || l.status === 'absent'
  const why = l.failure ?? (l.status === 'stopped' ? 'stopped' : l.status === 'absent' ? 'not running' : 'exited')
  const want = condition === 'ready' ? (l.hasProbe ? 'healthy' : 'started') : condition
  switch (want) {
    case 'started':
      if (l.status === 'running' || l.status === 'starting') return 'ok'
      // It started and has already finished well (a job, in sync once done): nothing to wait for.
      if (l.status === 'exited' && l.exitCode === 0) return 'ok'
      return gone ? { fail: why } : 'pending'
    case 'healthy':
      if (l.health === 'healthy') return 'ok'
      if (gone) return { fail: why }
      if (l.failure && l.health === 'unhealthy') return { fail: l.failure }
      return 'pending'
    case 'completed':
      if (l.status === 'exited' && l.exitCode === 0) return 'ok'
      if (gone) return { fail: l.status === 'exited' ? `exited with code ${l.exitCode}` : 'stopped before completing' }
      return 'pending'
  }
}
