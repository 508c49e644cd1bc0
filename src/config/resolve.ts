import { existsSync, readFileSync } from 'node:fs'
import { basename, isAbsolute, relative, resolve } from 'node:path'
import type { Problem } from '../errors.js'
import { didYouMean } from '../util/didyoumean.js'
import { kubernetesName } from '../util/kubernetes-name.js'
import { mapStrings, type DataPath } from '../util/map-strings.js'
import { maskProblem, quoteMasked, SECRET_NAME } from '../util/mask.js'
import { sha256 } from '../util/sha256.js'
import { parseEnvFile } from './envfile.js'
import { KINDS } from '../kinds/kinds.js'
import { deepMerge, modeOf, servicesIn } from './environments.js'
import { interpolate, type InterpolationContext } from './interpolate.js'
import { dependencies, isRecord, type Condition, type Mode, type RawConfig, type RawDatamodel, type RawOperation, type RawService } from './model.js'
import { lineAt, locate, pointer, type Source } from './source.js'
import type { Project, Service } from './types.js'
import { toService } from './service.js'

export const SERVICE_ATTRIBUTES = ['host', 'port', 'url', 'bind'] as const

/** Where a `${services.NAME…}` starts, wherever it is in a string (nested, or after `$$`, too). */
const REFERENCE_START = '${services.'

/** `mongodb://127.0.0.1:27017` for MongoDB, `postgresql://...` for PostgreSQL, `http://...` otherwise. */
export const schemeOf = (svc: RawService) => (svc.kind === 'mongodb' || svc.ready?.mongodb ? 'mongodb' : svc.kind === 'postgres' ? 'postgresql' : 'http')

export interface ResolveOptions {
  /** false: `${VAR:?msg}` with VAR unset is not a problem (checking an environment not selected). */
  requireVariables?: boolean
  /** The variables for interpolation, when the caller has read them (loadVariables). */
  variables?: Variables
  /** What a file with schema problems lacks in the part the schema accepts, which it is checked in. */
  pruned?: Pruned
}

export interface Pruned {
  /**
   * A service whose data is not all there: a `${services.NAME...}` of it is not judged, since
   * what was taken away (its port, the service itself) would make a problem of a reference that is fine.
   */
  unsure(service: string, env: string): boolean
  /**
   * A service whose `enabled` was taken away: it may be off in the environment for all we know,
   * so what its own strings need there (a `${VAR:?}`, a service enabled) is not required.
   */
  mayBeOff(service: string, env: string): boolean
}

export type Variables = { vars: Record<string, string>; problems: Problem[] }

/** The project name from the file, or from the directory's name, normalised. */
export function projectName(raw: RawConfig, dir: string): string {
  if (typeof raw.project === 'string') return raw.project
  return basename(dir).toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[^a-z0-9]+/, '') || 'pulpo'
}

/**
 * Reads env files in order, Compose's way: `${VAR}` in a file resolves from `lookup` (the
 * environment) first, then from what the files read so far; a malformed line is a located problem.
 */
export function readEnvFiles(paths: readonly string[], dir: string, lookup: (name: string) => string | undefined): { vars: Record<string, string>; problems: Problem[] } {
  const vars: Record<string, string> = {}
  const problems: Problem[] = []
  for (const f of paths) {
    const p = resolve(dir, f)
    if (!existsSync(p)) continue
    const r = parseEnvFile(readFileSync(p, 'utf8'), lookup, vars)
    const file = relative(process.cwd(), p) || p
    for (const issue of r.issues) problems.push({ file, line: issue.line, column: issue.column, path: '', code: 'env-file', message: issue.message, ...(issue.hint ? { hint: issue.hint } : {}) })
  }
  return { vars, problems }
}

/** Variables for interpolation: .env, then the env files, with the shell's environment over them. */
export function loadVariables(raw: RawConfig, dir: string): Variables {
  // An entry that is not a string is the schema's problem; the others are still read.
  const listed = typeof raw.env_file === 'string' ? [raw.env_file] : Array.isArray(raw.env_file) ? raw.env_file.filter((f): f is string => typeof f === 'string') : []
  const files = listed.includes('.env') ? listed : ['.env', ...listed]
  const r = readEnvFiles(files, dir, (name) => process.env[name])
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) r.vars[k] = v
  return r
}

/** Which interpreter runs operations and `python` in local commands. */
export function pythonOf(raw: RawConfig, dir: string): string {
  const chosen = raw.python ?? process.env.PULPO_PYTHON ?? (existsSync(resolve(dir, '.venv/bin/python')) ? '.venv/bin/python' : 'python3')
  return chosen.includes('/') && !isAbsolute(chosen) ? resolve(dir, chosen) : chosen
}

/** Resolves one environment of a validated file into a Project, and reports interpolation problems. */
export function resolveProject(source: Source, raw: RawConfig, envName: string, opts: ResolveOptions = {}): { project: Project; problems: Problem[]; notes: Problem[] } {
  return resolve_(source, raw, envName, opts) as { project: Project; problems: Problem[]; notes: Problem[] }
}

/**
 * The interpolation problems and notes of an environment besides the selected one, which was
 * resolved into `selected`: what resolving it would report, without building its services. A
 * string of a service `selected` resolved interpolates the same in every environment unless it
 * names a `${services.…}` (whose address depends on the environment), so it is not read again;
 * `${VAR:?}` is required only where it is used. Its messages are masked with the secrets of both.
 */
export function checkEnvironment(source: Source, raw: RawConfig, envName: string, selected: Project, opts: Omit<ResolveOptions, 'requireVariables'> = {}): { problems: Problem[]; notes: Problem[] } {
  return resolve_(source, raw, envName, { ...opts, requireVariables: false }, selected)
}

function resolve_(source: Source, raw: RawConfig, envName: string, opts: ResolveOptions, selected?: Project): { project?: Project; problems: Problem[]; notes: Problem[] } {
  const dir = source.dir
  const mode = modeOf(raw, envName)
  const envDecl = raw.environments?.[envName]
  const bind = envDecl?.bind ?? '127.0.0.1'
  const merged = servicesIn(raw, envName)
  const variables = opts.variables ?? loadVariables(raw, dir)
  const vars = variables.vars
  const problems = [...variables.problems]
  const notes: Problem[] = []
  const secrets = new Set<string>()
  // Whether a key names a secret, once per key: every service's env repeats the same few keys.
  const secretNames = new Map<string, boolean>()
  const isSecretName = (key: string) => {
    let yes = secretNames.get(key)
    if (yes === undefined) secretNames.set(key, (yes = SECRET_NAME.test(key)))
    return yes
  }

  const address = (name: string, attr: string) => {
    const svc = merged[name]
    const port = svc.port ?? KINDS[svc.kind ?? 'process'].defaultPort
    // In a container network a service is reached by its name (in Kubernetes, its Service's name).
    const host = mode === 'docker' || mode === 'swarm' ? name : mode === 'kubernetes' ? kubernetesName(name) : bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind
    switch (attr) {
      case 'host':
        return host
      case 'bind':
        return mode === 'docker' || mode === 'swarm' || mode === 'kubernetes' ? '0.0.0.0' : bind
      case 'port':
        return port === undefined ? undefined : String(port)
      case 'url':
        return port === undefined ? undefined : `${schemeOf(svc)}://${svc.kind === 'postgres' ? `${credentials(name)}@` : ''}${host}:${port}`
    }
    return undefined
  }

  /** `user:password` of a postgres service (POSTGRES_USER, POSTGRES_PASSWORD of its env or the project's), URL-encoded; the password is a secret. */
  const inCredentials = new Set<string>()
  const credentials = (name: string): string => {
    if (inCredentials.has(name)) return ''
    inCredentials.add(name)
    try {
      const value = (key: string) => {
        const raw = merged[name].env?.[key] ?? envDecl?.env?.[key] ?? rawConfig.env?.[key]
        return raw === undefined ? undefined : interpolate(String(raw), contextFor(key)).value
      }
      const user = encodeURIComponent(value('POSTGRES_USER') || 'postgres')
      const password = value('POSTGRES_PASSWORD') ?? ''
      if (password) secrets.add(password).add(encodeURIComponent(password))
      return `${user}:${encodeURIComponent(password)}`
    } finally {
      inCredentials.delete(name)
    }
  }
  const rawConfig = raw

  /**
   * A `${services.NAME.ATTR}`: its value, or what is wrong with it. `lenient`: a string of a service
   * that may be off here (Pruned.mayBeOff).
   */
  const reference = (name: string, attr: string, lenient: boolean): { value: string } | { message: string; hint?: string } => {
    const unsure = opts.pruned?.unsure(name, envName)
    if (!raw.services?.[name] && !unsure) {
      // Only here, in the error: listing the services on every reference made big files quadratic.
      const known = Object.keys(raw.services ?? {})
      return { message: `\${services.${name}.${attr}} names unknown service '${name}'`, hint: didYouMean(name, known) ?? (known.length ? `services are: ${known.join(', ')}` : 'this file declares no services') }
    }
    if (!(SERVICE_ATTRIBUTES as readonly string[]).includes(attr)) return { message: `\${services.${name}.${attr}}: unknown attribute '${attr}'`, hint: didYouMean(attr, SERVICE_ATTRIBUTES) ?? `attributes are ${SERVICE_ATTRIBUTES.join(', ')}` }
    if (unsure || lenient) return { value: '' }
    if (!merged[name]) return { message: `\${services.${name}.${attr}}: service '${name}' is disabled in environment '${envName}'`, hint: `enable '${name}' in '${envName}', or do not refer to it there` }
    const value = address(name, attr)
    if (value === undefined) return { message: `\${services.${name}.${attr}}: service '${name}' has no port`, hint: `add port: to '${name}'` }
    return { value }
  }
  const ctx: InterpolationContext = {
    requireVariables: opts.requireVariables ?? true,
    variable: (name) => vars[name],
    onVariable: (name, value) => {
      if (isSecretName(name) && value) secrets.add(value)
    },
    service: (name, attr) => reference(name, attr, false),
  }
  const lenientCtx: InterpolationContext = { ...ctx, requireVariables: false, service: (name, attr) => reference(name, attr, true) }

  /**
   * The context for the values of a key, quoted as that key's are: made once per key, not per
   * value; lenient for the strings of a service that may be off here (Pruned.mayBeOff).
   */
  const keyContexts = new Map<string, InterpolationContext>()
  const contextFor = (key: string, lenient = false) => {
    const id = lenient ? `\0${key}` : key
    let c = keyContexts.get(id)
    if (!c) keyContexts.set(id, (c = { ...(lenient ? lenientCtx : ctx), quote: quoteMasked(key) }))
    return c
  }
  /** The service a string of the file belongs to (services.NAME… or environments.ENV.services.NAME…). */
  const ownerOf = (path: DataPath) => (path[0] === 'services' ? path[1] : path[0] === 'environments' && path[2] === 'services' ? path[3] : undefined)

  /** Interpolates every string under `value` (at `path` in the file), reporting issues where they are. */
  const walk = (value: unknown, path: DataPath): unknown =>
    mapStrings(value, (text, where) => {
      // Nothing to interpolate and no `$NAME` to note: most strings of a big file.
      if (!text.includes('$')) return text
      const key = String(where[where.length - 1] ?? '')
      const owner = opts.pruned ? ownerOf(where) : undefined
      // A message never quotes a secret: the whole value of a secret-looking key, a URL's password.
      const r = interpolate(text, contextFor(key, owner !== undefined && opts.pruned!.mayBeOff(String(owner), envName)))
      for (const issue of r.issues) problems.push({ file: source.file, ...at(source, where, issue.index), path: pointer(where), code: 'interpolation', message: issue.message, ...(issue.hint ? { hint: issue.hint } : {}) })
      const shell = runsInShell(where) ? bareReference(text) : undefined
      if (shell) notes.push({ file: source.file, ...at(source, where, shell.index), path: pointer(where), code: 'shell-variable', message: `$${shell.name} is replaced by pulpo (as in Compose), not by the command's shell`, hint: `write $$${shell.name} to let the shell expand it` })
      return r.value
    }, path)

  /**
   * Checking another environment: the strings of `value` (a service the selected environment
   * resolved) that can read differently here, those naming a `${services.…}` of a service that
   * is disabled or has no port here (a problem only here), or a postgres service (whose URL holds
   * this environment's password, a secret); everything else in them was read there.
   */
  const differs = selected ? new Set(Object.keys(raw.services ?? {}).filter((n) => !merged[n] || (merged[n].port ?? KINDS[merged[n].kind ?? 'process'].defaultPort) === undefined || merged[n].kind === 'postgres')) : undefined
  const namesADiffering = (value: string) => {
    // Each NAME runs to the next `.` or `}`; indexOf, not matchAll: no iterator and match per string.
    for (let at = value.indexOf(REFERENCE_START); at >= 0; ) {
      const from = at + REFERENCE_START.length
      let end = from
      while (end < value.length && value[end] !== '.' && value[end] !== '}') end++
      if (differs!.has(value.slice(from, end))) return true
      at = value.indexOf(REFERENCE_START, end)
    }
    return false
  }
  const walkReferences = (value: unknown, path: DataPath): void => {
    mapStrings(value, (text, where) => (text.includes('${services.') && namesADiffering(text) ? walk(text, where) : text), path)
  }

  const projectEnv = stringify({
    ...(walk(raw.env ?? {}, ['env']) as object),
    ...(walk(envDecl?.env ?? {}, ['environments', envName, 'env']) as object),
  })
  const services: Record<string, Service> = {}
  if (selected) for (const [k, v] of Object.entries(projectEnv)) if (isSecretName(k) && v) secrets.add(v)
  for (const name of Object.keys(merged)) {
    const resolvedThere = selected?.services[name] !== undefined
    if (resolvedThere) walkReferences(raw.services![name], ['services', name])
    const base = (resolvedThere ? raw.services![name] : walk(raw.services![name], ['services', name])) as RawService
    const override = envDecl?.services?.[name] ? (walk(envDecl.services[name], ['environments', envName, 'services', name]) as RawService) : undefined
    const svc = override ? deepMerge(withDepsMap(base), withDepsMap(override)) : base
    const envFiles = typeof svc.env_file === 'string' ? [svc.env_file] : svc.env_file ?? []
    const fileVars = readEnvFiles(envFiles, dir, (k) => vars[k])
    problems.push(...fileVars.problems)
    if (!selected) services[name] = toService(name, svc, projectEnv, fileVars.vars, dir)
    else {
      // The secrets its environment would hold mask this environment's messages, as if resolved.
      const env = svc.env ?? {}
      for (const [k, v] of Object.entries(fileVars.vars)) if (isSecretName(k) && v && env[k] === undefined) secrets.add(v)
      for (const k of Object.keys(env)) {
        if (!isSecretName(k)) continue
        const fromBase = resolvedThere && override?.env?.[k] === undefined
        const value = String(fromBase ? walk(env[k], ['services', name, 'env', k]) : env[k])
        if (value) secrets.add(value)
      }
    }
    // `deploy` is for cluster modes: elsewhere it is a note, so one file can serve every environment.
    if (svc.deploy && (mode === 'local' || mode === 'docker')) {
      const where = override?.deploy ? ['environments', envName, 'services', name, 'deploy'] : ['services', name, 'deploy']
      notes.push({ file: source.file, ...locate(source, where), path: pointer(where), code: 'deploy-ignored', message: `deploy of '${name}' is for cluster environments; ${mode} mode (environment '${envName}') ignores it` })
    }
  }
  // A runner of the compiled flows talks to the project's Prefect server, and restarts when the
  // operations (what it serves) change.
  const prefect = Object.keys(merged).find((n) => merged[n].kind === 'prefect')
  for (const svc of Object.values(services).filter((s) => s.kind === 'prefect-serve')) {
    if (prefect && merged[prefect].port !== undefined) svc.env = { PREFECT_API_URL: `${address(prefect, 'url')}/api`, ...svc.env }
    svc.env.PULPO_FLOWS = sha256(JSON.stringify([raw.operations ?? {}, raw.python_path ?? []])).slice(0, 12)
  }
  // A Prefect server with `database:` keeps its data in that postgres service: its connection,
  // its database there, and its start once that service is healthy.
  for (const svc of Object.values(services).filter((s) => s.kind === 'prefect' && s.database && services[s.database]?.kind === 'postgres')) {
    const pg = services[svc.database!]
    const url = address(pg.name, 'url')
    if (url) svc.env = { PREFECT_API_DATABASE_CONNECTION_URL: `${url.replace(/^postgresql:/, 'postgresql+asyncpg:')}/${svc.name}`, ...svc.env }
    if (!pg.databases.includes(svc.name)) pg.databases = [...pg.databases, svc.name].sort()
    svc.dependsOn = { [pg.name]: { condition: 'healthy', restart: false }, ...svc.dependsOn }
  }
  for (const svc of Object.values(services)) for (const [k, v] of Object.entries(svc.env)) if (isSecretName(k) && v) secrets.add(v)
  notes.push(...swarmNotes(source, merged, mode))
  if (selected) for (const s of selected.secrets) secrets.add(s)

  const project: Project = {
    name: projectName(raw, dir),
    file: source.file,
    dir,
    environment: envName,
    mode,
    bind,
    python: walk(pythonOf(raw, dir), ['python']) as string,
    pythonPath: (raw.python_path ?? ['.']).map((p) => resolve(dir, p)),
    composeFile: raw.compose_file === undefined ? undefined : resolve(dir, raw.compose_file),
    ...(envDecl?.registry !== undefined ? { registry: walk(envDecl.registry, ['environments', envName, 'registry']) as string } : raw.registry !== undefined ? { registry: walk(raw.registry, ['registry']) as string } : {}),
    ...(mode === 'kubernetes' ? { namespace: envDecl?.namespace ?? kubernetesName(projectName(raw, dir)) } : {}),
    ...(envDecl?.docker_host !== undefined ? { dockerHost: walk(envDecl.docker_host, ['environments', envName, 'docker_host']) as string } : {}),
    ...(envDecl?.endpoint_mode ? { endpointMode: envDecl.endpoint_mode } : {}),
    ...(envDecl?.publish_mode ? { publishMode: envDecl.publish_mode } : {}),
    env: projectEnv,
    services,
    disabled: Object.keys(raw.services ?? {}).filter((n) => !merged[n]),
    datamodels: raw.datamodels ?? {},
    operations: raw.operations ?? {},
    secrets: [...secrets].sort((a, b) => b.length - a.length),
  }
  const masked = (p: Problem) => maskProblem(p, project.secrets)
  return { ...(selected ? {} : { project }), problems: problems.map(masked), notes: notes.map(masked) }
}

/** A string command (or exec probe) runs in a shell, where `$NAME` was probably meant for it. */
const runsInShell = (path: readonly (string | number)[]) => {
  const at = path[0] === 'environments' ? path.slice(2) : path
  return at[0] === 'services' && at.length === 3 ? at[2] === 'command' : at[0] === 'services' && at.length === 4 && at[2] === 'ready' && at[3] === 'exec'
}

/** The first `$NAME` (not `$$NAME`, not `${...}`) in a string. */
function bareReference(s: string): { index: number; name: string } | undefined {
  for (let i = s.indexOf('$'); i >= 0; i = s.indexOf('$', i + 1)) {
    if (s[i + 1] === '$') {
      i++
      continue
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i + 1))
    if (m) return { index: i, name: m[0] }
  }
  return undefined
}

const withDepsMap = (svc: RawService): RawService => (Array.isArray(svc.depends_on) ? { ...svc, depends_on: dependencies(svc) } : svc)

const stringify = (env: Record<string, unknown>): Record<string, string> => Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]))

/** Line and column of an interpolation issue: inside a one-line scalar, at the `${` itself. */
function at(source: Source, path: (string | number)[], index: number) {
  const loc = locate(source, path)
  const lineText = lineAt(source, loc.line)
  const rest = lineText.slice(loc.column - 1)
  const quoted = rest.startsWith('"') || rest.startsWith("'") ? 1 : 0
  // Only trust the offset when the scalar starts on this line and is long enough to hold it.
  return rest.length > index + quoted && !/^[|>]/.test(rest) ? { line: loc.line, column: loc.column + quoted + index } : loc
}

/** What swarm mode cannot do: notes, not errors. (A deploy outside a cluster has its own note.) */
function swarmNotes(source: Source, merged: Record<string, RawService>, mode: Mode): Problem[] {
  const notes: Problem[] = []
  for (const [name, svc] of Object.entries(merged)) {
    // A prefect-serve container gates by its kind's own healthcheck (the file its runner writes).
    const log = svc.ready?.log !== undefined && svc.kind !== 'prefect-serve'
    if (log && mode === 'swarm') notes.push({ file: source.file, ...locate(source, ['services', name, svc.ready ? 'ready' : 'kind'], 'key'), path: pointer(['services', name, 'ready']), code: 'log-probe-swarm', message: `'${name}': a log probe cannot gate in swarm mode (a container cannot read its own log): its dependents start once its tasks run`, hint: 'use an http, tcp or exec probe to gate on readiness' })
  }
  return notes
}
