import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { findCycles, topoOrder, type Graph } from '../../src/graph/dag.js'

/** A graph from `a: b c` lines: a depends on b and c. */
function graph(spec: string): Graph {
  const g = new Map<string, string[]>()
  for (const line of spec.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const [node, deps = ''] = line.split(':')
    g.set(node.trim(), deps.trim().split(/\s+/).filter(Boolean))
  }
  return g
}

const cyclesOf = (spec: string) => findCycles(graph(spec)).map((c) => c.join(' -> ')).sort()

describe('findCycles', () => {
  const CASES: { name: string; graph: string; cycles: string[] }[] = [
    { name: 'an empty graph', graph: '', cycles: [] },
    { name: 'a chain', graph: 'a: b\nb: c\nc:', cycles: [] },
    { name: 'a diamond', graph: 'a: b c\nb: d\nc: d\nd:', cycles: [] },
    { name: 'a self-loop', graph: 'a: a', cycles: ['a -> a'] },
    { name: 'two nodes', graph: 'a: b\nb: a', cycles: ['a -> b -> a'] },
    { name: 'three nodes, printed from the smallest name', graph: 'c: a\na: b\nb: c', cycles: ['a -> b -> c -> a'] },
    { name: 'a cycle reached from outside it', graph: 'x: c\nc: d\nd: c', cycles: ['c -> d -> c'] },
    { name: 'two separate cycles', graph: 'a: b\nb: a\nc: d\nd: c\ne: a', cycles: ['a -> b -> a', 'c -> d -> c'] },
    { name: 'edges to unknown nodes are ignored', graph: 'a: ghost\nb: a', cycles: [] },
    { name: 'a cycle is reported once, whatever node the walk starts from', graph: 'b: c\nc: a\na: b\nz: a b c', cycles: ['a -> b -> c -> a'] },
  ]
  for (const c of CASES) test(c.name, () => assert.deepEqual(cyclesOf(c.graph), c.cycles))

  test('a cycle is a path back to its start', () => {
    for (const cycle of findCycles(graph('a: b\nb: c\nc: a'))) assert.equal(cycle[0], cycle[cycle.length - 1])
  })
})

describe('topoOrder', () => {
  /** Every node comes after all of its (known) dependencies. */
  function assertOrdered(g: Graph, order: string[]) {
    assert.deepEqual([...order].sort(), [...g.keys()].sort(), 'every node exactly once')
    for (const [node, deps] of g) for (const dep of deps) if (g.has(dep)) assert.ok(order.indexOf(dep) < order.indexOf(node), `${dep} before ${node} in ${order}`)
  }

  const CASES: { name: string; graph: string; order: string[] }[] = [
    { name: 'an empty graph', graph: '', order: [] },
    { name: 'independent nodes, by name', graph: 'c:\na:\nb:', order: ['a', 'b', 'c'] },
    { name: 'a chain', graph: 'api: db\nui: api\ndb:', order: ['db', 'api', 'ui'] },
    { name: 'a diamond', graph: 'ui: api worker\napi: db\nworker: db\ndb:', order: ['db', 'api', 'worker', 'ui'] },
    { name: 'unknown dependencies are ignored', graph: 'a: ghost\nb: a', order: ['a', 'b'] },
  ]
  for (const c of CASES) {
    test(c.name, () => {
      const g = graph(c.graph)
      const order = topoOrder(g)
      assert.deepEqual(order, c.order)
      assertOrdered(g, order)
    })
  }

  test('the same graph gives the same order, whatever the insertion order', () => {
    assert.deepEqual(topoOrder(graph('ui: api\napi: db\ndb:')), topoOrder(graph('db:\napi: db\nui: api')))
  })
})
