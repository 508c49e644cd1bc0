/** The graph walker (src/graph/traverse.ts) on its own: order, concurrency, and why a node is skipped. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { walk, type Outcome } from '../../src/graph/traverse.js'

// a <- b <- c, and d alone.
const deps: Record<string, string[]> = { a: [], b: ['a'], c: ['b'], d: [] }
const reasons = (outcomes: Map<string, Outcome>) => Object.fromEntries([...outcomes].sort().map(([n, o]) => [n, o.status === 'skipped' ? `skipped: ${o.reason}` : o.status]))

describe('walk', () => {
  it('visits dependencies first going up, dependents first going down', async () => {
    for (const direction of ['up', 'down'] as const) {
      const order: string[] = []
      await walk({ nodes: Object.keys(deps), dependsOn: (n) => deps[n], direction, visit: async (n) => void order.push(n) })
      const before = (x: string, y: string) => order.indexOf(x) < order.indexOf(y)
      if (direction === 'up') assert.ok(before('a', 'b') && before('b', 'c'), order.join())
      else assert.ok(before('c', 'b') && before('b', 'a'), order.join())
    }
  })

  it('skips what depends on a failed node, saying which failed; the rest is visited', async () => {
    const outcomes = await walk({ nodes: Object.keys(deps), dependsOn: (n) => deps[n], direction: 'up', visit: async (n) => { if (n === 'a') throw new Error('boom') } })
    assert.deepEqual(reasons(outcomes), { a: 'failed', b: 'skipped: a failed', c: 'skipped: b was not started', d: 'done' })
  })

  it('a node whose visit fails as the walk is called off was interrupted: its dependents say so', async () => {
    const abort = new AbortController()
    const outcomes = await walk({
      nodes: Object.keys(deps),
      dependsOn: (n) => deps[n],
      direction: 'up',
      signal: abort.signal,
      visit: async (n) => {
        if (n !== 'b') return
        abort.abort()
        throw new Error('interrupted')
      },
    })
    assert.equal(outcomes.get('b')?.status, 'failed')
    assert.deepEqual(reasons(outcomes).c, 'skipped: b was interrupted')
  })
})
