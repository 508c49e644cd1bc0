/** A directed graph of named nodes: `edges.get(a)` holds what `a` depends on. */
export type Graph = Map<string, readonly string[]>

/**
 * Every elementary cycle found by a depth-first walk, each as a path that returns to its start
 * (`['a', 'b', 'a']`), rotated to start at its smallest name so the same cycle is reported once.
 */
export function findCycles(graph: Graph): string[][] {
  const cycles = new Map<string, string[]>()
  const state = new Map<string, 'visiting' | 'done'>()
  const stack: string[] = []
  const visit = (node: string) => {
    state.set(node, 'visiting')
    stack.push(node)
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue
      if (state.get(next) === 'visiting') {
        const cycle = stack.slice(stack.indexOf(next))
        const start = cycle.indexOf([...cycle].sort()[0])
        const rotated = [...cycle.slice(start), ...cycle.slice(0, start)]
        cycles.set(rotated.join('\0'), [...rotated, rotated[0]])
      } else if (!state.has(next)) visit(next)
    }
    stack.pop()
    state.set(node, 'done')
  }
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node)
  return [...cycles.values()]
}

/** Nodes in an order where each comes after everything it depends on (the graph must be acyclic). */
export function topoOrder(graph: Graph): string[] {
  const order: string[] = []
  const seen = new Set<string>()
  const visit = (node: string) => {
    if (seen.has(node)) return
    seen.add(node)
    for (const dep of graph.get(node) ?? []) if (graph.has(dep)) visit(dep)
    order.push(node)
  }
  for (const node of [...graph.keys()].sort()) visit(node)
  return order
}
