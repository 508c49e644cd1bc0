import type { Project } from '../config/types.js'
import { toMillis } from '../util/duration.js'
import { flowFunction, flowName, flowParams, inputsOf, leafParams, operationForest, siblingOrder, sinks, taskFunction, type OpNode, type Param } from './operations.js'
import { GENERATED_HEADER, ident, literal, PY_TYPES } from './python.js'
import { DEPLOY_PY, RUNNER_PY, RUNTIME_PY, SERVE_PY } from './prefect-runtime.js'

/** A generated file: path relative to run_cache/, and its exact content. */
export interface GeneratedFile {
  path: string
  content: string
  /** Holds secret values (a Kubernetes Secret): written 0600, readable by its owner only. */
  private?: true
}

/** A flow as the registry lists it, for `pulpo prefect run` and `pulpo prefect flows`. */
export interface FlowEntry {
  name: string
  /** What `pulpo prefect run` accepts besides the name: `scraping`, `scraping.stepstone`. */
  aliases: string[]
  kind: 'flow' | 'subflow' | 'standalone'
  module: string
  function: string
  params: Param[]
  subflows: string[]
  tasks: string[]
}

const PKG = 'orchestration'

const signature = (params: Param[], extra: string[] = []) =>
  [...extra.map((e) => `${ident(e)}: Any`), ...params.map((p) => `${ident(p.name)}: ${PY_TYPES[p.type] ?? 'Any'}${p.required ? '' : ` = ${literal(p.default)}`}`)].join(', ')

const passParams = (params: Param[]) => params.map((p) => `${ident(p.name)}=${ident(p.name)}`)

/** `@task(...)` options from retries, retry_delay and timeout. */
function taskOptions(n: OpNode): string {
  const op = n.operation!
  const opts = [`name=${literal(n.path)}`]
  if (op.description) opts.push(`description=${literal(op.description)}`)
  if (op.retries !== undefined) opts.push(`retries=${op.retries}`)
  if (op.retry_delay !== undefined) opts.push(`retry_delay_seconds=${toMillis(op.retry_delay, 0) / 1000}`)
  if (op.timeout !== undefined) opts.push(`timeout_seconds=${toMillis(op.timeout, 0) / 1000}`)
  return opts.join(', ')
}

/** The import of an operation's callable: `module.path:function` was validated, part by part. */
function importOf(n: OpNode): string {
  const [module, fn] = n.operation!.run.split(':')
  return `from ${module.split('.').map(ident).join('.')} import ${ident(fn)} as _op_${ident(taskFunction(n))}`
}

function taskCode(n: OpNode, siblings: OpNode[]): string {
  const inputs = inputsOf(n, siblings).map((i) => i.name)
  const params = leafParams(n)
  const args = [...inputs.map((i) => `${ident(i)}=${ident(i)}`), ...passParams(params)]
  return [
    `@task(${taskOptions(n)})`,
    `async def ${ident(taskFunction(n))}(${signature(params, inputs)}) -> Any:`,
    `    return await _pulpo.call(_op_${ident(taskFunction(n))}${args.length ? ', ' + args.join(', ') : ''})`,
  ].join('\n')
}

/**
 * A group's flow: each child starts as soon as the siblings it takes as inputs are done, so
 * siblings with no path between them run concurrently; the flow returns what its sinks return, once
 * every child has settled.
 */
function flowCode(n: OpNode): string {
  const params = flowParams(n)
  const body: string[] = []
  for (const child of siblingOrder(n.children)) {
    const fn = child.operation ? taskFunction(child) : flowFunction(child)
    const own = child.operation ? leafParams(child) : flowParams(child)
    const inputs = inputsOf(child, n.children).map((i) => `${ident(i.name)}=_${ident(i.name)}`)
    const args = [...inputs, ...passParams(own)].join(', ')
    body.push(`    _${ident(child.name)} = _pulpo.start(${ident(fn)}${args ? ', ' + args : ''})`)
  }
  // Every step settles before the flow ends: when one fails, the siblings already running finish
  // (instead of being cancelled mid-run and recorded as Crashed) and the flow fails with it.
  body.push(`    await _pulpo.settle(${siblingOrder(n.children).map((c) => `_${ident(c.name)}`).join(', ')})`)
  const out = sinks(n.children)
  body.push(out.length === 1 ? `    return await _${ident(out[0].name)}` : `    return {${out.map((s) => `${literal(s.name)}: await _${ident(s.name)}`).join(', ')}}`)
  return [`@flow(name=${literal(flowName(n))})`, `async def ${ident(flowFunction(n))}(${signature(params)}) -> Any:`, ...body].join('\n')
}

/** Every node of a tree, children before their parent (so definitions precede their use). */
function postOrder(n: OpNode): OpNode[] {
  return [...n.children.flatMap(postOrder), n]
}

function moduleCode(nodes: OpNode[], parentOf: Map<OpNode, OpNode[]>): string {
  const leaves = nodes.filter((x) => x.operation)
  const parts = [
    GENERATED_HEADER,
    '',
    'from __future__ import annotations',
    '',
    'from typing import Any',
    '',
    'from prefect import flow, task',
    '',
    // As a module, not `call` and `start`: a parameter or an input named `start` would shadow them.
    `from ${PKG} import _runtime as _pulpo`,
    ...leaves.map(importOf),
  ]
  for (const node of nodes) parts.push('', '', node.operation ? taskCode(node, parentOf.get(node)!) : flowCode(node))
  return parts.join('\n') + '\n'
}

function entry(n: OpNode, kind: FlowEntry['kind'], module: string): FlowEntry {
  const all = postOrder(n)
  const aliases = kind === 'standalone' ? [n.path] : kind === 'flow' ? [n.path] : []
  return {
    name: flowName(n),
    aliases,
    kind,
    module: `${PKG}.${module}`,
    function: kind === 'standalone' ? `${n.path}_flow` : flowFunction(n),
    params: kind === 'standalone' ? leafParams(n) : flowParams(n),
    subflows: all.filter((x) => x !== n && !x.operation).map(flowName),
    tasks: all.filter((x) => x.operation).map((x) => x.path),
  }
}

/** run_cache/orchestration/: a module per top-level group, standalones.py, the registry (pure). */
export function compilePrefect(project: Project): { files: GeneratedFile[]; flows: FlowEntry[] } {
  const forest = operationForest(project.operations)
  const files: GeneratedFile[] = []
  const flows: FlowEntry[] = []
  const parentOf = new Map<OpNode, OpNode[]>()
  const link = (siblings: OpNode[]) => siblings.forEach((s) => (parentOf.set(s, siblings), link(s.children)))
  link(forest)

  for (const group of forest.filter((n) => !n.operation)) {
    // `scraping_flow.py`, not `scraping.py`: a group is often named like the user's own package.
    const module = ident(`${group.path}_flow`)
    files.push({ path: `${PKG}/${module}.py`, content: moduleCode(postOrder(group), parentOf) })
    for (const n of postOrder(group).filter((x) => !x.operation)) flows.push(entry(n, n === group ? 'flow' : 'subflow', module))
  }

  const standalones = forest.filter((n) => n.operation)
  if (standalones.length) {
    const parts = [GENERATED_HEADER, '', 'from __future__ import annotations', '', 'from typing import Any', '', 'from prefect import flow, task', '', `from ${PKG} import _runtime as _pulpo`, ...standalones.map(importOf)]
    for (const n of standalones) {
      const params = leafParams(n)
      parts.push('', '', taskCode(n, standalones), '', '', `@flow(name=${literal(flowName(n))})`, `async def ${ident(n.path)}_flow(${signature(params)}) -> Any:`, `    return await ${ident(taskFunction(n))}(${passParams(params).join(', ')})`)
      flows.push(entry(n, 'standalone', 'standalones'))
    }
    files.push({ path: `${PKG}/standalones.py`, content: parts.join('\n') + '\n' })
  }

  flows.sort((a, b) => a.name.localeCompare(b.name))
  files.push({ path: `${PKG}/__init__.py`, content: `${GENERATED_HEADER}\n"""Prefect flows compiled from the operations in pulpo.yaml."""\n` })
  files.push({ path: `${PKG}/_runtime.py`, content: RUNTIME_PY })
  files.push({ path: `${PKG}/_run.py`, content: RUNNER_PY })
  files.push({ path: `${PKG}/_serve.py`, content: SERVE_PY })
  files.push({ path: `${PKG}/_deploy.py`, content: DEPLOY_PY })
  files.push({ path: `${PKG}/registry.json`, content: JSON.stringify({ generated_by: 'pulpo', project: project.name, flows }, null, 2) + '\n' })
  return { files: files.sort((a, b) => a.path.localeCompare(b.path)), flows }
}
