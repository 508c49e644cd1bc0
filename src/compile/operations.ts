import type { RawOperation, RawParam } from '../config/model.js'

/** A parameter of an operation or of a flow (the union of its operations' parameters). */
export interface Param {
  name: string
  type: string
  required: boolean
  default?: unknown
  description?: string
}

/** A node of the operation hierarchy: a group (flow or subflow) or a leaf (task). */
export interface OpNode {
  /** Dotted path: `scraping.stepstone`. */
  path: string
  /** Last segment: `stepstone`; what a sibling's input is called. */
  name: string
  children: OpNode[]
  operation?: RawOperation
}

export function param(name: string, p: RawParam): Param {
  if (typeof p === 'string') return { name, type: p, required: true }
  return { name, type: p.type, required: p.default === undefined, ...(p.default !== undefined ? { default: p.default } : {}), ...(p.description ? { description: p.description } : {}) }
}

/** The hierarchy formed by dotted operation names, children sorted by name. */
export function operationForest(operations: Record<string, RawOperation>): OpNode[] {
  const root: OpNode = { path: '', name: '', children: [] }
  for (const path of Object.keys(operations).sort()) {
    let node = root
    const segs = path.split('.')
    segs.forEach((seg, i) => {
      const p = segs.slice(0, i + 1).join('.')
      let child = node.children.find((c) => c.path === p)
      if (!child) {
        child = { path: p, name: seg, children: [] }
        node.children.push(child)
        node.children.sort((a, b) => a.name.localeCompare(b.name))
      }
      node = child
    })
    node.operation = operations[path]
  }
  return root.children
}

/** Required parameters first, then by name: in a Python signature no required one may follow an optional one. */
const byRequiredThenName = (a: Param, b: Param) => Number(b.required) - Number(a.required) || a.name.localeCompare(b.name)

/** A leaf's own parameters, required ones first. */
export const leafParams = (n: OpNode): Param[] => Object.entries(n.operation?.params ?? {}).map(([k, v]) => param(k, v)).sort(byRequiredThenName)

/** The union of the parameters of every operation under a node, required ones first. */
export function flowParams(n: OpNode): Param[] {
  const all = new Map<string, Param>()
  const visit = (x: OpNode) => {
    for (const p of leafParams(x)) {
      const seen = all.get(p.name)
      // Optional wins only if every declaration is optional.
      if (!seen || (seen.required === false && p.required)) all.set(p.name, p)
    }
    x.children.forEach(visit)
  }
  visit(n)
  return [...all.values()].sort(byRequiredThenName)
}

/** The siblings a node takes as inputs, as nodes. */
export function inputsOf(n: OpNode, siblings: OpNode[]): OpNode[] {
  const names = n.operation?.inputs ?? []
  return names.map((i) => siblings.find((s) => s.path === i)).filter((s): s is OpNode => Boolean(s))
}

/** Siblings in an order where each comes after its inputs (names break ties). */
export function siblingOrder(children: OpNode[]): OpNode[] {
  const out: OpNode[] = []
  const seen = new Set<string>()
  const visit = (n: OpNode) => {
    if (seen.has(n.path)) return
    seen.add(n.path)
    inputsOf(n, children).forEach(visit)
    out.push(n)
  }
  children.forEach(visit)
  return out
}

/** Children whose result no sibling takes: what a group returns. */
export function sinks(children: OpNode[]): OpNode[] {
  const used = new Set(children.flatMap((c) => c.operation?.inputs ?? []))
  return children.filter((c) => !used.has(c.path))
}

/** Function names in the generated code: `scraping__stepstone_flow`, `scraping__merge_task`. */
export const flowFunction = (n: OpNode) => `${n.path.split('.').join('__')}_flow`
export const taskFunction = (n: OpNode) => `${n.path.split('.').join('__')}_task`
/** The Prefect flow name: `scraping_flow` for a top-level group or standalone, else the dotted path. */
export const flowName = (n: OpNode) => (n.path.includes('.') ? n.path : `${n.path}_flow`)
