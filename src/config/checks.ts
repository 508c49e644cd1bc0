import { existsSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Problem } from '../errors.js'
import { findCycles } from '../graph/dag.js'
import { didYouMean } from '../util/didyoumean.js'
import { environmentNames, modeOf, servicesIn } from './environments.js'
import { dependencies, entries, isRecord, KINDS_WITH_PROBE, NAME_PATTERN, PARAM_TYPES, PROBE_KINDS, type RawConfig } from './model.js'
import { isRunTarget, operationTree, PY_IDENTIFIER, PY_KEYWORDS } from './operations.js'
import { locate, pointer, type Source } from './source.js'

/** What a semantic check sees: the file, its data and the environment being checked. */
export interface CheckContext {
  source: Source
  raw: RawConfig
  /** The selected environment (from --env, PULPO_ENV or the file). */
  envName: string
  /** Whether the selected environment was named on the command line (not by the file). */
  envFromFlag: boolean
}

type Path = (string | number)[]

/** Builds a located problem. */
const problem = (ctx: CheckContext, code: string, path: Path, message: string, hint?: string, at: 'key' | 'value' = 'value'): Problem => ({
  file: ctx.source.file,
  ...locate(ctx.source, path, at),
  path: pointer(path),
  code,
  message,
  ...(hint ? { hint } : {}),
})

export type Check = (ctx: CheckContext) => Problem[]

const checkVersion: Check = (ctx) =>
  typeof ctx.raw.version === 'number' && ctx.raw.version !== 1
    ? [problem(ctx, 'version', ['version'], `unsupported version ${ctx.raw.version}`, 'this pulpo reads version: 1')]
    : []

const checkProjectName: Check = (ctx) =>
  typeof ctx.raw.project === 'string' && !NAME_PATTERN.test(ctx.raw.project)
    ? [problem(ctx, 'project-name', ['project'], `invalid project name '${ctx.raw.project}'`, "use lowercase letters, digits, '_' and '-', starting with a letter or digit")]
    : []

const checkServiceNames: Check = (ctx) =>
  entries(ctx.raw.services)
    .filter(([name]) => !NAME_PATTERN.test(name))
    .map(([name]) => problem(ctx, 'service-name', ['services', name], `invalid service name '${name}'`, "use lowercase letters, digits, '_' and '-', starting with a letter or digit", 'key'))

/** Each place a service's depends_on can be written: the service itself and its overrides. */
function dependencySites(ctx: CheckContext): { path: Path; service: string; deps: ReturnType<typeof dependencies> }[] {
  const sites = entries(ctx.raw.services).map(([name, svc]) => ({ path: ['services', name] as Path, service: name, deps: dependencies(svc) }))
  for (const [envName, env] of entries(ctx.raw.environments))
    for (const [name, svc] of entries(isRecord(env) ? env.services : undefined))
      sites.push({ path: ['environments', envName, 'services', name], service: name, deps: dependencies(svc) })
  return sites
}

const checkDependsOnTargets: Check = (ctx) => {
  const known = Object.keys(ctx.raw.services ?? {})
  const out: Problem[] = []
  for (const site of dependencySites(ctx)) {
    const list = Array.isArray(ctx.raw.services?.[site.service]?.depends_on) && site.path[0] === 'services'
    Object.keys(site.deps).forEach((dep, i) => {
      const at = [...site.path, 'depends_on', list ? i : dep]
      if (dep === site.service) out.push(problem(ctx, 'depends-on', at, `service '${site.service}' depends on itself`, undefined, list ? 'value' : 'key'))
      else if (!known.includes(dep)) out.push(problem(ctx, 'depends-on', at, `'${site.service}' depends on unknown service '${dep}'`, didYouMean(dep, known) ?? (known.length ? `services are: ${known.join(', ')}` : undefined), list ? 'value' : 'key'))
    })
  }
  return out
}

const checkCycles: Check = (ctx) => {
  const reported = new Set<string>()
  const out: Problem[] = []
  for (const envName of environmentNames(ctx.raw)) {
    const services = servicesIn(ctx.raw, envName)
    const graph = new Map(Object.entries(services).map(([n, s]) => [n, Object.keys(dependencies(s)).filter((d) => d !== n)]))
    for (const cycle of findCycles(graph)) {
      const text = cycle.join(' -> ')
      if (reported.has(text)) continue
      reported.add(text)
      out.push(problem(ctx, 'cycle', ['services', cycle[0], 'depends_on'], `dependency cycle: ${text}`, 'remove one of these depends_on entries'))
    }
  }
  return out
}

const checkHealthyNeedsProbe: Check = (ctx) => {
  const out: Problem[] = []
  const seen = new Set<string>()
  for (const envName of environmentNames(ctx.raw)) {
    const services = servicesIn(ctx.raw, envName)
    for (const [name, svc] of Object.entries(services)) {
      for (const [dep, d] of Object.entries(dependencies(svc))) {
        const target = services[dep]
        if (d.condition !== 'healthy' || !target || seen.has(`${name}>${dep}`)) continue
        if (KINDS_WITH_PROBE.has(target.kind ?? 'process') || isRecord(target.ready)) continue
        seen.add(`${name}>${dep}`)
        out.push(problem(ctx, 'healthy-without-probe', ['services', name, 'depends_on', dep], `'${name}' waits for '${dep}' to be healthy, but '${dep}' has no readiness probe`, `add ready: { http: /health } (or tcp, exec, log) to '${dep}', or wait for 'started'`))
      }
    }
  }
  return out
}

const checkProbes: Check = (ctx) => {
  const out: Problem[] = []
  const sites: [Path, unknown][] = entries(ctx.raw.services).map(([n, s]) => [['services', n], s])
  for (const [e, env] of entries(ctx.raw.environments)) for (const [n, s] of entries(isRecord(env) ? env.services : undefined)) sites.push([['environments', e, 'services', n], s])
  for (const [path, svc] of sites) {
    if (!isRecord(svc) || !isRecord(svc.ready)) continue
    const kinds = PROBE_KINDS.filter((k) => svc.ready[k] !== undefined && svc.ready[k] !== false)
    if (kinds.length > 1) out.push(problem(ctx, 'probe', [...path, 'ready'], `ready has more than one probe: ${kinds.join(', ')}`, 'keep exactly one of http, tcp, exec, log, mongodb'))
    if (kinds.length === 0 && path[0] === 'services') out.push(problem(ctx, 'probe', [...path, 'ready'], 'ready names no probe', 'add one of http, tcp, exec, log, mongodb'))
    if ((svc.ready.http !== undefined || svc.ready.tcp === true) && svc.port === undefined && path[0] === 'services')
      out.push(problem(ctx, 'probe', [...path, 'ready'], `the ${svc.ready.http !== undefined ? 'http' : 'tcp'} probe needs the service's port`, 'add port: to the service'))
    if (typeof svc.ready.log === 'string') {
      try {
        new RegExp(svc.ready.log)
      } catch (e) {
        out.push(problem(ctx, 'probe', [...path, 'ready', 'log'], `invalid regular expression: ${(e as Error).message}`))
      }
    }
  }
  return out
}

const checkRunnable: Check = (ctx) => {
  const out: Problem[] = []
  const seen = new Set<string>()
  for (const envName of environmentNames(ctx.raw)) {
    const mode = modeOf(ctx.raw, envName)
    for (const [name, svc] of Object.entries(servicesIn(ctx.raw, envName))) {
      if (KINDS_WITH_PROBE.has(svc.kind ?? 'process') || seen.has(`${name}/${mode}`)) continue
      const runnable = mode === 'local' ? svc.command !== undefined : svc.image !== undefined || svc.build !== undefined
      if (runnable) continue
      seen.add(`${name}/${mode}`)
      out.push(problem(ctx, 'not-runnable', ['services', name], `service '${name}' has no ${mode === 'local' ? 'command' : 'image or build'} for ${mode} mode (environment '${envName}')`, mode === 'local' ? 'add command: (a string for /bin/sh -c, or an argv list)' : 'add image: name:tag, or build: { context: . }', 'key'))
    }
  }
  return out
}

const checkPortClashes: Check = (ctx) => {
  const out: Problem[] = []
  for (const envName of environmentNames(ctx.raw)) {
    const byPort = new Map<number, string>()
    for (const [name, svc] of Object.entries(servicesIn(ctx.raw, envName))) {
      if (typeof svc.port !== 'number') continue
      const other = byPort.get(svc.port)
      if (other) out.push(problem(ctx, 'port-clash', ['services', name, 'port'], `'${name}' and '${other}' both publish port ${svc.port} in environment '${envName}'`, 'give one of them another port'))
      else byPort.set(svc.port, name)
    }
  }
  return out
}

const checkOverrides: Check = (ctx) => {
  const known = Object.keys(ctx.raw.services ?? {})
  const out: Problem[] = []
  for (const [envName, env] of entries(ctx.raw.environments))
    for (const [name] of entries(isRecord(env) ? env.services : undefined))
      if (!known.includes(name)) out.push(problem(ctx, 'unknown-service', ['environments', envName, 'services', name], `environment '${envName}' overrides unknown service '${name}'`, didYouMean(name, known), 'key'))
  return out
}

const checkSelectedEnvironment: Check = (ctx) => {
  const declared = Object.keys(isRecord(ctx.raw.environments) ? ctx.raw.environments : {})
  if (declared.includes(ctx.envName)) return []
  if (!declared.length && !ctx.envFromFlag) return []
  const where: Path = ctx.envFromFlag || typeof ctx.raw.environment !== 'string' ? (declared.length ? ['environments'] : []) : ['environment']
  const hint = declared.length ? didYouMean(ctx.envName, declared) ?? `environments are: ${declared.join(', ')}` : 'this file declares no environments'
  return [problem(ctx, 'unknown-environment', where, `unknown environment '${ctx.envName}'`, hint, where.length ? 'key' : 'value')]
}

const checkPaths: Check = (ctx) => {
  const out: Problem[] = []
  const dir = ctx.source.dir
  const files = typeof ctx.raw.env_file === 'string' ? [ctx.raw.env_file] : Array.isArray(ctx.raw.env_file) ? ctx.raw.env_file : []
  files.forEach((f, i) => {
    if (typeof f === 'string' && !existsSync(resolve(dir, f))) out.push(problem(ctx, 'env-file', typeof ctx.raw.env_file === 'string' ? ['env_file'] : ['env_file', i], `env_file '${f}' not found`, 'create it, or remove it from env_file'))
  })
  for (const [name, svc] of entries(ctx.raw.services)) {
    if (!isRecord(svc)) continue
    if (typeof svc.cwd === 'string' && !svc.cwd.includes('${') && !isDir(resolve(dir, svc.cwd))) out.push(problem(ctx, 'cwd', ['services', name, 'cwd'], `cwd '${svc.cwd}' is not a directory`))
    const svcFiles = typeof svc.env_file === 'string' ? [svc.env_file] : Array.isArray(svc.env_file) ? svc.env_file : []
    svcFiles.forEach((f: unknown, i: number) => {
      if (typeof f === 'string' && !existsSync(resolve(dir, f))) out.push(problem(ctx, 'env-file', typeof svc.env_file === 'string' ? ['services', name, 'env_file'] : ['services', name, 'env_file', i], `env_file '${f}' not found`))
    })
  }
  if (typeof ctx.raw.compose_file === 'string' && !existsSync(resolve(dir, ctx.raw.compose_file))) out.push(problem(ctx, 'compose-file', ['compose_file'], `compose_file '${ctx.raw.compose_file}' not found`))
  return out
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory()

const checkDatamodels: Check = (ctx) => {
  const out: Problem[] = []
  const mongos = entries(ctx.raw.services).filter(([, s]) => isRecord(s) && s.kind === 'mongodb').map(([n]) => n)
  for (const [name, dm] of entries(ctx.raw.datamodels)) {
    if (!isRecord(dm)) continue
    if (typeof dm.service === 'string') {
      const svc = ctx.raw.services?.[dm.service]
      if (!svc) out.push(problem(ctx, 'datamodel', ['datamodels', name, 'service'], `datamodel '${name}' names unknown service '${dm.service}'`, didYouMean(dm.service, Object.keys(ctx.raw.services ?? {}))))
      else if (svc.kind !== 'mongodb') out.push(problem(ctx, 'datamodel', ['datamodels', name, 'service'], `datamodel '${name}' names '${dm.service}', which is not a mongodb service`, mongos.length ? `mongodb services: ${mongos.join(', ')}` : 'add kind: mongodb to that service'))
    } else if (mongos.length !== 1) {
      out.push(problem(ctx, 'datamodel', ['datamodels', name], mongos.length ? `datamodel '${name}' must name its service: there are ${mongos.length} mongodb services` : `datamodel '${name}' needs a mongodb service, and there is none`, mongos.length ? `add service: ${mongos[0]}` : 'add a service with kind: mongodb', 'key'))
    }
  }
  return out
}

const checkOperations: Check = (ctx) => {
  const out: Problem[] = []
  const ops = entries(ctx.raw.operations).filter(([, op]) => isRecord(op))
  const names = ops.map(([n]) => n)
  for (const [name, op] of ops) {
    const segs = name.split('.')
    const bad = segs.find((s) => !PY_IDENTIFIER.test(s))
    const kw = segs.find((s) => PY_KEYWORDS.has(s))
    if (bad !== undefined) out.push(problem(ctx, 'operation-name', ['operations', name], `operation name '${name}' is not a dotted path of Python identifiers ('${bad}')`, 'use letters, digits and _ in each part, e.g. scraping.stepstone.fetch', 'key'))
    else if (kw) out.push(problem(ctx, 'operation-name', ['operations', name], `operation name '${name}' uses the Python keyword '${kw}'`, `rename '${kw}', e.g. '${kw}_'`, 'key'))
    if (typeof op.run === "string" && !isRunTarget(op.run)) {
      const hint = op.run.includes(':') ? 'each part of module.path and the function must be a Python identifier' : `write it as module.path:function, e.g. '${op.run.replace(/\.([^.]*)$/, ':$1')}'`
      out.push(problem(ctx, 'operation-run', ['operations', name, 'run'], `run '${op.run}' is not of the form module.path:function`, hint))
    }
    for (const [param, spec] of entries(op.params)) {
      if (!PY_IDENTIFIER.test(param) || PY_KEYWORDS.has(param)) out.push(problem(ctx, 'param', ['operations', name, 'params', param], `parameter name '${param}' is not a Python identifier`, undefined, 'key'))
      const type = typeof spec === 'string' ? spec : isRecord(spec) ? spec.type : undefined
      if (typeof type === 'string' && !(PARAM_TYPES as readonly string[]).includes(type))
        out.push(problem(ctx, 'param-type', typeof spec === 'string' ? ['operations', name, 'params', param] : ['operations', name, 'params', param, 'type'], `unknown parameter type '${type}'`, didYouMean(type, PARAM_TYPES) ?? `types are: ${PARAM_TYPES.join(', ')}`))
    }
  }
  // A name that is both a leaf and a group cannot be both a task and a flow.
  for (const name of names) {
    const child = names.find((n) => n.startsWith(name + '.'))
    if (child) out.push(problem(ctx, 'operation-name', ['operations', name], `'${name}' is an operation and also the group of '${child}'`, 'rename one of them', 'key'))
  }
  out.push(...checkInputs(ctx, names))
  return out
}

function checkInputs(ctx: CheckContext, names: string[]): Problem[] {
  const out: Problem[] = []
  const tree = operationTree(names)
  const edges = new Map<string, string[]>()
  for (const [name, op] of entries(ctx.raw.operations)) {
    if (!isRecord(op) || !Array.isArray(op.inputs)) continue
    const parent = name.split('.').slice(0, -1).join('.')
    const siblings = tree.children(parent).filter((s) => s !== name)
    op.inputs.forEach((input: unknown, i: number) => {
      if (typeof input !== 'string') return
      const at: Path = ['operations', name, 'inputs', i]
      if (input === name) return out.push(problem(ctx, 'inputs', at, `'${name}' lists itself as an input`))
      if (siblings.includes(input)) {
        edges.set(name, [...(edges.get(name) ?? []), input])
        return
      }
      if (tree.has(input)) {
        out.push(problem(ctx, 'inputs', at, `input '${input}' is not a sibling of '${name}'`, siblings.length ? `siblings of '${name}': ${siblings.join(', ')}` : `'${name}' has no siblings`))
        return
      }
      out.push(problem(ctx, 'inputs', at, `unknown input '${input}'`, didYouMean(input, siblings) ?? (siblings.length ? `siblings of '${name}': ${siblings.join(', ')}` : undefined)))
    })
  }
  // Inputs only name siblings, so every cycle lies among the children of one group.
  const graph = new Map<string, string[]>()
  for (const name of tree.all()) graph.set(name, [])
  for (const [from, tos] of edges) for (const to of tos) graph.get(from)!.push(to)
  for (const cycle of findCycles(graph)) out.push(problem(ctx, 'inputs-cycle', ['operations', cycle[0], 'inputs'], `cycle among inputs: ${cycle.join(' -> ')}`, 'an operation cannot wait, directly or not, for its own result'))
  return out
}

/** All semantic checks, in the order their problems read best. */
export const CHECKS: readonly Check[] = [
  checkVersion,
  checkProjectName,
  checkSelectedEnvironment,
  checkServiceNames,
  checkDependsOnTargets,
  checkCycles,
  checkHealthyNeedsProbe,
  checkProbes,
  checkRunnable,
  checkPortClashes,
  checkOverrides,
  checkPaths,
  checkDatamodels,
  checkOperations,
]

export function semanticProblems(ctx: CheckContext): Problem[] {
  return CHECKS.flatMap((check) => check(ctx))
}
