/**
 * The one graph walker, for both directions (compose's InDependencyOrder /
 * InReverseDependencyOrder): `up` visits a node once what it depends on allows it, `down` once
 * everything that depends on it is done. Independent nodes are visited concurrently.
 */

export type Direction = 'up' | 'down'

export type Outcome = { status: 'done' } | { status: 'failed'; error: unknown } | { status: 'skipped'; reason: string; because: string }

export interface WalkOptions {
  /** The nodes to visit; dependencies outside this set are not waited for. */
  nodes: Iterable<string>
  /** What a node depends on. */
  dependsOn(node: string): readonly string[]
  direction: Direction
  /** Rejecting with NotVisited skips the node instead of failing it. */
  visit(node: string): Promise<void>
  /**
   * `up` only: what `node` waits for before its visit, given one of its dependencies. Default: the
   * dependency's visit finished. A rejection skips the node (its dependency failed).
   */
  gate?(node: string, dependency: string, visited: Promise<void>): Promise<void>
  /** Aborting stops new visits; nodes not yet visited are skipped. */
  signal?: AbortSignal
}

/** Walks the graph; resolves when every node is done, failed or skipped. Never rejects. */
export async function walk(opts: WalkOptions): Promise<Map<string, Outcome>> {
  const nodes = new Set(opts.nodes)
  const edges = new Map<string, string[]>()
  for (const n of nodes) edges.set(n, [])
  for (const n of nodes) {
    for (const d of opts.dependsOn(n)) {
      if (!nodes.has(d) || d === n) continue
      // up: n waits for d. down: d waits for n (dependents stop first).
      if (opts.direction === 'up') edges.get(n)!.push(d)
      else edges.get(d)!.push(n)
    }
  }
  const visits = new Map<string, Promise<void>>()
  const outcomes = new Map<string, Outcome>()
  const started = new Set<string>()

  const run = (node: string): Promise<void> => {
    const existing = visits.get(node)
    if (existing) return existing
    const p = (async () => {
      // Why a dependency stopped this node, in the words of its outcome when it has one.
      const blocked = (dep: string, error: unknown) => {
        const o = outcomes.get(dep)
        // A dependency that failed because the walk was called off was interrupted, not broken.
        const why = o?.status === 'failed' ? (opts.signal?.aborted ? 'was interrupted' : 'failed') : o?.status === 'skipped' ? 'was not started' : undefined
        return new Skip(dep, why ? `${dep} ${why}` : `${dep}: ${(error as Error)?.message ?? error}`)
      }
      const waits = edges.get(node)!.map(async (dep) => {
        const visited = run(dep)
        const gate = opts.direction === 'up' && opts.gate ? opts.gate(node, dep, visited) : visited
        try {
          await gate
        } catch (error) {
          throw blocked(dep, error)
        }
      })
      const results = await Promise.allSettled(waits)
      const stopped = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (stopped) {
        const skip = stopped.reason as Skip
        outcomes.set(node, { status: 'skipped', reason: skip.message, because: skip.dependency })
        throw skip
      }
      if (opts.signal?.aborted) {
        outcomes.set(node, { status: 'skipped', reason: 'interrupted', because: '' })
        throw new Skip('', 'interrupted')
      }
      started.add(node)
      try {
        await opts.visit(node)
        outcomes.set(node, { status: 'done' })
      } catch (error) {
        if (!(error instanceof NotVisited)) {
          outcomes.set(node, { status: 'failed', error })
          throw error
        }
        // Said as its gate would have said it, once the dependency's own turn is decided.
        const dep = error.dependency
        if (dep) await run(dep).catch(() => {})
        const skip = dep ? blocked(dep, error) : new Skip('', 'interrupted')
        outcomes.set(node, { status: 'skipped', reason: skip.message, because: skip.dependency })
        throw skip
      }
    })()
    p.catch(() => {})
    visits.set(node, p)
    return p
  }

  await Promise.allSettled([...nodes].sort().map(run))
  return outcomes
}

/**
 * What a visit throws when it did not happen after all: the node is skipped, as if its gate had
 * stopped it — because of `dependency` (a start held until the dependency was ready, called off
 * as it failed), or, without one, because the walk was interrupted.
 */
export class NotVisited extends Error {
  constructor(readonly dependency?: string, reason = 'interrupted') {
    super(reason)
  }
}

class Skip extends Error {
  constructor(readonly dependency: string, message: string) {
    super(message)
  }
}
