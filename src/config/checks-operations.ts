/** The semantic checks of `operations:` (what the generated Python needs of them). */
import type { Problem } from '../errors.js'
import { findCycles } from '../graph/dag.js'
import { didYouMean, someNames } from '../util/didyoumean.js'
import { problem, type Check, type CheckContext, type Path } from './check-context.js'
import { entries, isRecord, PARAM_TYPES } from './model.js'
import { operationTree, PY_IDENTIFIER, PY_KEYWORDS, RUN_TARGET } from './operations.js'

export const checkOperations: Check = (ctx) => {
  const out: Problem[] = []
  const ops = entries(ctx.raw.operations).filter(([, op]) => isRecord(op))
  const names = ops.map(([n]) => n)
  for (const [name, op] of ops) {
    const segs = name.split('.')
    const bad = segs.find((s) => !PY_IDENTIFIER.test(s))
    const kw = segs.find((s) => PY_KEYWORDS.has(s))
    if (bad !== undefined) out.push(problem(ctx, 'operation-name', ['operations', name], `operation name '${name}' is not a dotted path of Python identifiers (${bad ? `'${bad}'` : 'an empty part'})`, 'use letters, digits and _ in each part, e.g. scraping.stepstone.fetch', 'key'))
    else if (kw) out.push(problem(ctx, 'operation-name', ['operations', name], `operation name '${name}' uses the Python keyword '${kw}'`, `rename '${kw}', e.g. '${kw}_'`, 'key'))
    // One match and one split of `run` for both questions (isRunTarget would repeat them).
    const target = typeof op.run === 'string' && RUN_TARGET.test(op.run)
    const runKeyword = target ? op.run.split(/[.:]/).find((p: string) => PY_KEYWORDS.has(p)) : undefined
    if (runKeyword) out.push(problem(ctx, 'operation-run', ['operations', name, 'run'], `run '${op.run}' uses the Python keyword '${runKeyword}', which cannot be imported`))
    else if (typeof op.run === 'string' && !target) {
      const hint = op.run.includes(':') ? 'each part of module.path and the function must be a Python identifier' : `write it as module.path:function, e.g. '${op.run.replace(/\.([^.]*)$/, ':$1')}'`
      out.push(problem(ctx, 'operation-run', ['operations', name, 'run'], `run '${op.run}' is not of the form module.path:function`, hint))
    }
    for (const [param, spec] of entries(op.params)) {
      if (!PY_IDENTIFIER.test(param)) out.push(problem(ctx, 'param', ['operations', name, 'params', param], `parameter name '${param}' is not a Python identifier`, undefined, 'key'))
      else if (PY_KEYWORDS.has(param)) out.push(problem(ctx, 'param', ['operations', name, 'params', param], `parameter name '${param}' is a Python keyword`, `rename it, e.g. '${param}_'`, 'key'))
      const type = typeof spec === 'string' ? spec : isRecord(spec) ? spec.type : undefined
      if (typeof type === 'string' && !(PARAM_TYPES as readonly string[]).includes(type))
        out.push(problem(ctx, 'param-type', typeof spec === 'string' ? ['operations', name, 'params', param] : ['operations', name, 'params', param, 'type'], `unknown parameter type '${type}'`, paramTypeHint(type)))
    }
  }
  // A name that is both a leaf and a group cannot be both a task and a flow.
  const firstChild = new Map<string, string>()
  for (const n of names) {
    // Each group above `n`: its name up to each dot.
    for (let dot = n.indexOf('.'); dot >= 0; dot = n.indexOf('.', dot + 1)) {
      const group = n.slice(0, dot)
      if (!firstChild.has(group)) firstChild.set(group, n)
    }
  }
  for (const name of names) {
    const child = firstChild.get(name)
    if (child) out.push(problem(ctx, 'operation-name', ['operations', name], `'${name}' is an operation and also the group of '${child}'`, 'rename one of them', 'key'))
  }
  out.push(...checkInputs(ctx, names))
  return out
}

/** JSON Schema's and other languages' names for the types, which people write out of habit. */
const PARAM_TYPE_ALIASES: Record<string, string> = { string: 'str', integer: 'int', number: 'float', boolean: 'bool', array: 'list', object: 'dict', dictionary: 'dict' }

const paramTypeHint = (type: string) =>
  PARAM_TYPE_ALIASES[type.toLowerCase()] ? `did you mean '${PARAM_TYPE_ALIASES[type.toLowerCase()]}'?` : didYouMean(type, PARAM_TYPES) ?? `types are: ${PARAM_TYPES.join(', ')}`

function checkInputs(ctx: CheckContext, names: string[]): Problem[] {
  const out: Problem[] = []
  const tree = operationTree(names)
  const edges = new Map<string, string[]>()
  for (const [name, op] of entries(ctx.raw.operations)) {
    if (!isRecord(op) || !Array.isArray(op.inputs)) continue
    const parent = name.slice(0, Math.max(name.lastIndexOf('.'), 0))
    // The sorted list of siblings is only needed to word a problem.
    let others: string[] | undefined
    const siblingsOf = () => (others ??= tree.children(parent).filter((s) => s !== name))
    op.inputs.forEach((input: unknown, i: number) => {
      if (typeof input !== 'string') return
      const at: Path = ['operations', name, 'inputs', i]
      if (input === name) return out.push(problem(ctx, 'inputs', at, `'${name}' lists itself as an input`))
      if (tree.hasChild(parent, input)) {
        const list = edges.get(name)
        if (list) list.push(input)
        else edges.set(name, [input])
        return
      }
      const siblings = siblingsOf()
      if (tree.has(input)) {
        out.push(problem(ctx, 'inputs', at, `input '${input}' is not a sibling of '${name}'`, siblings.length ? `siblings of '${name}': ${someNames(siblings)}` : `'${name}' has no siblings`))
        return
      }
      out.push(problem(ctx, 'inputs', at, `unknown input '${input}'`, didYouMean(input, siblings) ?? (siblings.length ? `siblings of '${name}': ${someNames(siblings)}` : undefined)))
    })
  }
  // Inputs only name siblings, so every cycle lies among the children of one group.
  const graph = new Map<string, string[]>()
  for (const name of tree.all()) graph.set(name, [])
  for (const [from, tos] of edges) for (const to of tos) graph.get(from)!.push(to)
  for (const cycle of findCycles(graph)) out.push(problem(ctx, 'inputs-cycle', ['operations', cycle[0], 'inputs'], `cycle among inputs: ${cycle.join(' -> ')}`, 'an operation cannot wait, directly or not, for its own result'))
  return out
}

/**
 * What the generated Python needs of parameters: an operation's parameter cannot share a name with
 * one of its inputs (one keyword argument), and a flow's parameter, the union of its operations',
 * has one type and one default.
 */
export const checkParamConsistency: Check = (ctx) => {
  const out: Problem[] = []
  const byFlow = new Map<string, Map<string, { op: string; type: unknown; default: unknown }>>()
  for (const [name, op] of entries(ctx.raw.operations)) {
    if (!isRecord(op)) continue
    const inputs = new Set((Array.isArray(op.inputs) ? op.inputs : []).filter((i: unknown): i is string => typeof i === 'string').map((i: string) => i.split('.').pop()!))
    const flow = name.split('.')[0]
    if (!byFlow.has(flow)) byFlow.set(flow, new Map())
    for (const [param, spec] of entries(op.params)) {
      if (inputs.has(param)) out.push(problem(ctx, 'param', ['operations', name, 'params', param], `parameter '${param}' of '${name}' has the name of one of its inputs`, 'rename the parameter: the input arrives as a keyword argument of that name', 'key'))
      const type = typeof spec === 'string' ? spec : isRecord(spec) ? spec.type : undefined
      const dflt = isRecord(spec) ? JSON.stringify(spec.default) : undefined
      const seen = byFlow.get(flow)!.get(param)
      if (!seen) byFlow.get(flow)!.set(param, { op: name, type, default: dflt })
      else if (seen.type !== type || (seen.default !== undefined && dflt !== undefined && seen.default !== dflt))
        out.push(problem(ctx, 'param', ['operations', name, 'params', param], `parameter '${param}' of '${name}' differs from the one '${seen.op}' declares (${seen.type !== type ? `type ${String(seen.type)} vs ${String(type)}` : `default ${seen.default} vs ${dflt}`}); both are parameters of the flow '${flow}'`, 'declare it the same way in both, or name them apart', 'key'))
    }
  }
  return out
}

/** A standalone runs on its own: inputs name siblings inside a group. */
export const checkStandaloneInputs: Check = (ctx) =>
  entries(ctx.raw.operations)
    .filter(([name, op]) => !name.includes('.') && isRecord(op) && Array.isArray(op.inputs) && op.inputs.length)
    .map(([name]) => problem(ctx, 'inputs', ['operations', name, 'inputs'], `'${name}' is a standalone (a top-level operation): it runs in a flow of its own and takes no inputs`, 'put it and its inputs in a group, e.g. checks.' + name))
