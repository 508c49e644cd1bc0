import { existsSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import schema from '../../schemas/pulpo.schema.json' with { type: 'json' }
import type { Problem } from '../errors.js'
import { findCycles } from '../graph/dag.js'
import { closest, didYouMean, someNames } from '../util/didyoumean.js'
import { kubernetesName } from '../util/kubernetes-name.js'
import { environmentNames, modeOf, servicesIn } from './environments.js'
import { entries, isRecord, KINDS_WITH_PROBE, NAME_PATTERN, namesProbe, PROBE_KINDS, type RawService } from './model.js'
import { dependenciesOf, problem, type Check, type CheckContext, type Path } from './check-context.js'
import { checkPostgres } from './checks-postgres.js'
import { checkOperations, checkParamConsistency, checkStandaloneInputs } from './checks-operations.js'

/**
 * Where a field of a service is written for one environment: in that environment's override when
 * it sets the field, else in the service. Checks that look at merged services point here, so a
 * problem an override causes is shown on the override.
 */
function declaredAt(ctx: CheckContext, envName: string, service: string, field: Path): Path {
  let v: unknown = ctx.raw.environments?.[envName]?.services?.[service]
  for (const seg of field) v = isRecord(v) ? v[seg] : undefined
  return v === undefined ? ['services', service, ...field] : ['environments', envName, 'services', service, ...field]
}

/** Where `service` lists `dep` for one environment: the override when it names it, else the service; by index in a list. */
function dependencyAt(ctx: CheckContext, envName: string, service: string, dep: string): { path: Path; at: 'key' | 'value' } {
  const sites: Path[] = [['environments', envName, 'services', service], ['services', service]]
  for (const site of sites) {
    let deps: unknown = ctx.raw
    for (const seg of [...site, 'depends_on']) deps = isRecord(deps) ? deps[seg] : undefined
    if (Array.isArray(deps) && deps.includes(dep)) return { path: [...site, 'depends_on', deps.indexOf(dep)], at: 'value' }
    if (isRecord(deps) && dep in deps) return { path: [...site, 'depends_on', dep], at: 'key' }
  }
  return { path: ['services', service, 'depends_on'], at: 'value' }
}

/** " in environment 'prod'" when the file has environments and not all of them are affected. */
function inEnvironments(ctx: CheckContext, envs: string[]): string {
  const all = environmentNames(ctx.raw)
  if (!isRecord(ctx.raw.environments) || envs.length === all.length) return ''
  return envs.length === 1 ? ` in environment '${envs[0]}'` : ` in environments ${envs.map((e) => `'${e}'`).join(', ')}`
}

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
function dependencySites(ctx: CheckContext): { path: Path; service: string; deps: ReturnType<typeof dependenciesOf>; list: boolean }[] {
  const site = (path: Path, service: string, svc: unknown) => ({ path, service, deps: dependenciesOf(svc as RawService), list: isRecord(svc) && Array.isArray(svc.depends_on) })
  const sites = entries(ctx.raw.services).map(([name, svc]) => site(['services', name], name, svc))
  for (const [envName, env] of entries(ctx.raw.environments))
    for (const [name, svc] of entries(isRecord(env) ? env.services : undefined)) sites.push(site(['environments', envName, 'services', name], name, svc))
  return sites
}

const checkDependsOnTargets: Check = (ctx) => {
  const known = Object.keys(ctx.raw.services ?? {})
  const isKnown = new Set(known)
  const out: Problem[] = []
  for (const site of dependencySites(ctx)) {
    const { list } = site
    Object.keys(site.deps).forEach((dep, i) => {
      // The path is built only for a problem: most dependencies of a big file have none.
      const at = () => [...site.path, 'depends_on', list ? i : dep]
      if (dep === site.service) out.push(problem(ctx, 'depends-on', at(), `service '${site.service}' depends on itself`, undefined, list ? 'value' : 'key'))
      else if (!isKnown.has(dep)) {
        // A service cannot depend on itself, so it is no suggestion for its own typo.
        const others = known.filter((k) => k !== site.service)
        out.push(problem(ctx, 'depends-on', at(), `'${site.service}' depends on unknown service '${dep}'`, didYouMean(dep, others) ?? (others.length ? `services are: ${someNames(others)}` : undefined), list ? 'value' : 'key'))
      }
    })
  }
  return out
}

const checkCycles: Check = (ctx) => {
  // The same cycle usually exists in every environment: report it once, naming the environments
  // only when some are free of it (an override closed the cycle).
  const found = new Map<string, { cycle: string[]; envs: string[] }>()
  for (const envName of environmentNames(ctx.raw)) {
    const services = servicesIn(ctx.raw, envName)
    const graph = new Map(Object.entries(services).map(([n, s]) => [n, Object.keys(dependenciesOf(s)).filter((d) => d !== n)]))
    for (const cycle of findCycles(graph)) {
      const text = cycle.join(' -> ')
      if (!found.has(text)) found.set(text, { cycle, envs: [] })
      found.get(text)!.envs.push(envName)
    }
  }
  return [...found].map(([text, { cycle, envs }]) =>
    problem(ctx, 'cycle', declaredAt(ctx, envs[0], cycle[0], ['depends_on']), `dependency cycle${inEnvironments(ctx, envs)}: ${text}`, 'remove one of these depends_on entries'),
  )
}

/** A dependency that an environment disables would leave its dependent waiting forever. */
const checkDisabledDependencies: Check = (ctx) => {
  const out: Problem[] = []
  for (const envName of environmentNames(ctx.raw)) {
    const services = servicesIn(ctx.raw, envName)
    for (const [name, svc] of Object.entries(services)) {
      for (const dep of Object.keys(dependenciesOf(svc))) {
        if (services[dep] || !isRecord(ctx.raw.services?.[dep])) continue
        const { path, at } = dependencyAt(ctx, envName, name, dep)
        out.push(problem(ctx, 'depends-on', path, `'${name}' depends on '${dep}', which is disabled in environment '${envName}'`, `enable '${dep}' in '${envName}', or disable '${name}' there too`, at))
      }
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
      for (const [dep, d] of Object.entries(dependenciesOf(svc))) {
        const target = services[dep]
        if (d.condition !== 'healthy' || !target || seen.has(`${name}>${dep}`)) continue
        if (KINDS_WITH_PROBE.has(target.kind ?? 'process') || namesProbe(target.ready)) continue
        seen.add(`${name}>${dep}`)
        const { path } = dependencyAt(ctx, envName, name, dep)
        const where = path[0] === 'environments' ? inEnvironments(ctx, [envName]) : ''
        out.push(problem(ctx, 'healthy-without-probe', path, `'${name}' waits for '${dep}' to be healthy${where}, but '${dep}' has no readiness probe`, `add ready: { http: /health } (or tcp, exec, log) to '${dep}', or wait for 'started'`))
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
    if (kinds.length > 1) out.push(problem(ctx, 'probe', [...path, 'ready'], `ready has more than one probe: ${kinds.join(', ')}`, 'keep exactly one of http, tcp, exec, log, mongodb, postgres'))
    // A built-in kind has its own probe: `ready` may then only tune interval and timeout.
    // `ready: { settle: 3s }` alone is fine: no probe, only how long the service must stay up.
    const settleOnly = Object.keys(svc.ready).every((k) => k === 'settle') && svc.ready.settle !== undefined
    if (kinds.length === 0 && !settleOnly && path[0] === 'services' && !KINDS_WITH_PROBE.has(svc.kind ?? 'process')) out.push(problem(ctx, 'probe', [...path, 'ready'], 'ready names no probe', 'add one of http, tcp, exec, log, mongodb, postgres'))
    if ((svc.ready.http !== undefined || svc.ready.tcp === true) && svc.port === undefined && path[0] === 'services')
      out.push(problem(ctx, 'probe', [...path, 'ready'], `the ${svc.ready.http !== undefined ? 'http' : 'tcp'} probe needs the service's port`, 'add port: to the service'))
    if (typeof svc.ready.log === 'string') {
      try {
        new RegExp(svc.ready.log)
      } catch (e) {
        // V8 repeats the pattern in its message: "Invalid regular expression: /(a/: Unterminated group".
        const reason = (e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '')
        out.push(problem(ctx, 'probe', [...path, 'ready', 'log'], `${JSON.stringify(svc.ready.log)} is not a valid regular expression: ${reason.toLowerCase()}`))
      }
    }
  }
  return out
}

const RUN_KEYS = ['command', 'image', 'build']
const SERVICE_KEYS: ReadonlySet<string> = new Set(Object.keys(schema.definitions.service.properties))

const checkRunnable: Check = (ctx) => {
  const out: Problem[] = []
  const seen = new Set<string>()
  for (const envName of environmentNames(ctx.raw)) {
    const mode = modeOf(ctx.raw, envName)
    // An unknown mode or kind is a schema problem already; guessing what it needs only adds noise.
    if (mode !== 'local' && mode !== 'docker' && mode !== 'swarm' && mode !== 'kubernetes') continue
    for (const [name, svc] of Object.entries(servicesIn(ctx.raw, envName))) {
      if ((svc.kind ?? 'process') !== 'process' || seen.has(`${name}/${mode}`)) continue
      const runnable = mode === 'local' ? svc.command !== undefined : svc.image !== undefined || svc.build !== undefined
      if (runnable) continue
      // `comand:` is reported as an unknown key with its did-you-mean; "no command" would repeat it.
      if (Object.keys(svc).some((k) => !SERVICE_KEYS.has(k) && closest(k, RUN_KEYS))) continue
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
    // In docker mode the host port is `publish` (default: port); containers may share a port.
    const docker = modeOf(ctx.raw, envName) === 'docker'
    for (const [name, svc] of Object.entries(servicesIn(ctx.raw, envName))) {
      if (typeof svc.port !== 'number' || (docker && svc.publish === false)) continue
      const host = docker && typeof svc.publish === 'number' ? svc.publish : svc.port
      const key = docker && typeof svc.publish === 'number' ? 'publish' : 'port'
      const other = byPort.get(host)
      if (other) out.push(problem(ctx, 'port-clash', declaredAt(ctx, envName, name, [key]), `'${name}' and '${other}' both publish port ${host} in environment '${envName}'`, `give one of them another ${docker ? 'publish: port' : 'port'}`))
      else byPort.set(host, name)
    }
  }
  return out
}

const checkOverrides: Check = (ctx) => {
  const known = Object.keys(ctx.raw.services ?? {})
  const isKnown = new Set(known)
  const out: Problem[] = []
  for (const [envName, env] of entries(ctx.raw.environments))
    for (const [name] of entries(isRecord(env) ? env.services : undefined))
      if (!isKnown.has(name)) out.push(problem(ctx, 'unknown-service', ['environments', envName, 'services', name], `environment '${envName}' overrides unknown service '${name}'`, didYouMean(name, known), 'key'))
  return out
}

const checkSelectedEnvironment: Check = (ctx) => {
  const declared = Object.keys(isRecord(ctx.raw.environments) ? ctx.raw.environments : {})
  const hint = (name: string) => (declared.length ? didYouMean(name, declared) ?? `environments are: ${someNames(declared)}` : 'this file declares no environments')
  const out: Problem[] = []
  // The file's default is the file's mistake even when --env picks another environment today.
  const fileDefault = typeof ctx.raw.environment === 'string' ? ctx.raw.environment : undefined
  if (fileDefault !== undefined && declared.length && !declared.includes(fileDefault))
    out.push(problem(ctx, 'unknown-environment', ['environment'], `unknown environment '${fileDefault}'`, hint(fileDefault)))
  // --env is not in the file: point at the environments it could have named.
  if (ctx.envFromFlag && ctx.envName !== fileDefault && !declared.includes(ctx.envName))
    out.push(problem(ctx, 'unknown-environment', declared.length ? ['environments'] : [], `unknown environment '${ctx.envName}'`, hint(ctx.envName), 'key'))
  return out
}

const checkPaths: Check = (ctx) => {
  const out: Problem[] = []
  const dir = ctx.source.dir
  // Services mostly share a few directories (`cwd: .`): each is looked at once.
  const dirs = new Map<string, boolean>()
  const isDirOnce = (p: string) => {
    let yes = dirs.get(p)
    if (yes === undefined) dirs.set(p, (yes = isDir(resolve(dir, p))))
    return yes
  }
  const files = typeof ctx.raw.env_file === 'string' ? [ctx.raw.env_file] : Array.isArray(ctx.raw.env_file) ? ctx.raw.env_file : []
  files.forEach((f, i) => {
    if (typeof f === 'string' && !existsSync(resolve(dir, f))) out.push(problem(ctx, 'env-file', typeof ctx.raw.env_file === 'string' ? ['env_file'] : ['env_file', i], `env_file '${f}' not found`, 'create it, or remove it from env_file'))
  })
  for (const [name, svc] of entries(ctx.raw.services)) {
    if (!isRecord(svc)) continue
    if (typeof svc.cwd === 'string' && !svc.cwd.includes('${') && !isDirOnce(svc.cwd)) out.push(problem(ctx, 'cwd', ['services', name, 'cwd'], `cwd '${svc.cwd}' is not a directory`))
    const svcFiles = typeof svc.env_file === 'string' ? [svc.env_file] : Array.isArray(svc.env_file) ? svc.env_file : []
    svcFiles.forEach((f: unknown, i: number) => {
      if (typeof f === 'string' && !existsSync(resolve(dir, f))) out.push(problem(ctx, 'env-file', typeof svc.env_file === 'string' ? ['services', name, 'env_file'] : ['services', name, 'env_file', i], `env_file '${f}' not found`, 'create it, or remove it from env_file'))
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
      else if (svc.kind !== 'mongodb') out.push(problem(ctx, 'datamodel', ['datamodels', name, 'service'], `datamodel '${name}' names '${dm.service}', which is not a mongodb service`, mongos.length ? `mongodb services: ${someNames(mongos)}` : 'add kind: mongodb to that service'))
    } else if (mongos.length !== 1) {
      out.push(problem(ctx, 'datamodel', ['datamodels', name], mongos.length ? `datamodel '${name}' must name its service: there are ${mongos.length} mongodb services` : `datamodel '${name}' needs a mongodb service, and there is none`, mongos.length ? `add service: ${mongos[0]}` : 'add a service with kind: mongodb', 'key'))
    }
  }
  return out
}

/** Two datamodels on one collection would undo each other's indexes and validator on every up. */
const checkDatamodelNamespaces: Check = (ctx) => {
  const seen = new Map<string, string>()
  const out: Problem[] = []
  const mongos = entries(ctx.raw.services).filter(([, s]) => isRecord(s) && s.kind === 'mongodb').map(([n]) => n)
  for (const [name, dm] of entries(ctx.raw.datamodels)) {
    if (!isRecord(dm)) continue
    const ns = `${dm.service ?? mongos[0]}/${dm.database ?? ctx.raw.project ?? ''}.${dm.collection ?? name}`
    const other = seen.get(ns)
    if (other) out.push(problem(ctx, 'datamodel', ['datamodels', name], `datamodels '${other}' and '${name}' describe the same collection (${ns.split('/')[1]})`, 'merge them, or give one another collection:', 'key'))
    else seen.set(ns, name)
  }
  return out
}

/** A runner of the compiled flows needs the Prefect server it registers them with. */
const checkPrefectServe: Check = (ctx) => {
  const services = entries(ctx.raw.services).filter(([, s]) => isRecord(s))
  const servers = services.filter(([, s]) => s.kind === 'prefect').map(([n]) => n)
  return services
    .filter(([, s]) => s.kind === 'prefect-serve')
    .flatMap(([name]) => (servers.length === 1 ? [] : [problem(ctx, 'prefect-serve', ['services', name, 'kind'], servers.length ? `'${name}' (kind: prefect-serve) needs exactly one prefect service, and there are ${servers.length}` : `'${name}' (kind: prefect-serve) needs a service of kind: prefect to register its deployments with`, 'add a service with kind: prefect')]))
}

/** All semantic checks, in the order their problems read best. */
/** Two services with one Kubernetes name (`a_b` and `a-b`) would overwrite each other's manifests. */
const checkKubernetesNames: Check = (ctx) => {
  const out: Problem[] = []
  for (const envName of environmentNames(ctx.raw)) {
    if (modeOf(ctx.raw, envName) !== 'kubernetes') continue
    const byName = new Map<string, string>()
    for (const name of Object.keys(servicesIn(ctx.raw, envName))) {
      const other = byName.get(kubernetesName(name))
      if (other) out.push(problem(ctx, 'kubernetes-name', ['services', name], `services '${other}' and '${name}' are both '${kubernetesName(name)}' in Kubernetes (environment '${envName}')`, 'rename one of them', 'key'))
      else byName.set(kubernetesName(name), name)
    }
  }
  return out
}

export const CHECKS: readonly Check[] = [
  checkVersion,
  checkProjectName,
  checkSelectedEnvironment,
  checkServiceNames,
  checkDependsOnTargets,
  checkCycles,
  checkDisabledDependencies,
  checkHealthyNeedsProbe,
  checkProbes,
  checkRunnable,
  checkPortClashes,
  checkOverrides,
  checkPaths,
  checkDatamodels,
  checkDatamodelNamespaces,
  checkOperations,
  checkStandaloneInputs,
  checkParamConsistency,
  checkPrefectServe,
  checkKubernetesNames,
  checkPostgres,
]

export type { Check, CheckContext }

export function semanticProblems(ctx: CheckContext): Problem[] {
  return CHECKS.flatMap((check) => check(ctx))
}
