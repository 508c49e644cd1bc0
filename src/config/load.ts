import { InvalidConfigError, type Problem } from '../errors.js'
import { semanticProblems } from './checks.js'
import { environmentNames, selectEnvironment } from './environments.js'
import { isRecord, type RawConfig } from './model.js'
import { checkEnvironment, loadVariables, resolveProject, type Pruned, type Variables } from './resolve.js'
import type { Project } from './types.js'
import { schemaAcceptedPart, schemaProblems } from './schema.js'
import { findConfigFile, locate, readSource, withData, type Source } from './source.js'
import { interpolateTyped } from './typed.js'
import { maskProblem } from '../util/mask.js'

export interface LoadOptions {
  /** -c/--config: the file; default pulpo.yaml found by walking up from cwd. */
  config?: string
  /** -e/--env: the environment. */
  env?: string
  cwd?: string
}

export interface Validation {
  source: Source
  envName: string
  problems: Problem[]
  /** Worth saying but not wrong (a `$NAME` in a shell command that pulpo replaces). */
  notes: Problem[]
  /** The resolved project, when there is no problem. */
  project?: Project
}

/**
 * load → validate → resolve: every problem of the file at once (YAML, schema, semantic checks,
 * interpolation in every environment), then the selected environment resolved.
 */
export function validateConfig(opts: LoadOptions = {}): Validation {
  const cwd = opts.cwd ?? process.cwd()
  const source = readSource(findConfigFile(opts.config, cwd), cwd)
  // Broken YAML has no data to check further; a duplicate key leaves data, and every problem counts.
  // Without data the file's own `environment` is unknown; one asked for by -e or PULPO_ENV is not.
  const asked = opts.env || process.env.PULPO_ENV || ''
  if (source.data === undefined) return { source, envName: asked, problems: source.problems, notes: [] }
  if (!isRecord(source.data)) {
    const { line, column } = locate(source, [])
    const problem = { file: source.file, line, column, path: '', code: 'schema', message: source.data == null ? 'the file is empty' : 'the file must be a mapping of keys (version, services, ...)', hint: 'start from `pulpo init`' }
    return { source, envName: asked, problems: [problem], notes: [] }
  }
  // Compose's order: interpolate, then check types, so `port: ${PORT:-8000}` is an integer.
  let loaded: Variables | undefined
  const variables = () => (loaded ??= loadVariables(source.data as RawConfig, source.dir))
  const envName = selectEnvironment(source.data as RawConfig, opts.env)
  const typed = interpolateTyped(source, (name) => variables().vars[name], envName)
  const raw = typed.data as RawConfig
  const schema = [...typed.problems, ...schemaProblems(withData(source, typed.data)).filter((p) => !typed.unchecked.has(p.path))]
  const semantic = semanticProblems({ source, raw, envName, envFromFlag: Boolean(opts.env || process.env.PULPO_ENV) })
  const interpolation: Problem[] = []
  const notes: Problem[] = []
  // Interpolation is checked in every environment; `${VAR:?}` only where it will be used. Only the
  // selected one is resolved into a project; the others are checked against it. Resolving needs
  // data of the schema's shape: a file with schema problems is checked in the part the schema
  // accepts, so its interpolation problems are reported with them, not after they are fixed.
  let project: Project | undefined
  const accepted = schema.length ? schemaAcceptedPart(raw) : { data: raw, dropped: [] }
  if (accepted) {
    const checked = accepted.data as RawConfig
    const resolving = { variables: variables(), ...(accepted.dropped.length ? { pruned: prunedServices(accepted.dropped) } : {}) }
    const selected = resolveProject(source, checked, envName, { ...resolving, requireVariables: true })
    project = selected.project
    // In the file's order of environments, so problems on one line keep their order.
    for (const env of new Set([...environmentNames(checked), envName])) {
      if (checked.environments && !checked.environments[env] && env !== envName) continue
      const r = env === envName ? selected : checkEnvironment(source, checked, env, project, resolving)
      interpolation.push(...r.problems)
      // Notes on what was taken away would be about a file the user did not write (a mode dropped
      // reads as local): they come once the schema problems are fixed, as before.
      if (!accepted.dropped.length) notes.push(...r.notes)
    }
  }
  // A type error quotes the value a field was given: never a secret (`port: ${DB_PASSWORD}` by mistake).
  const secrets = [...new Set([...typed.secrets, ...(project?.secrets ?? [])])].sort((a, b) => b.length - a.length)
  const problems = dedupe([...source.problems, ...schema, ...semantic, ...interpolation]).map((p) => maskProblem(p, secrets))
  return { source, envName, problems, notes: dedupe(notes).map((p) => maskProblem(p, secrets)), ...(problems.length ? {} : { project }) }
}

/**
 * What the schema-accepted part lacks, by service and environment (resolve.ts's Pruned): a service
 * is unsure when it or something in it was taken away, and may be off when its `enabled` or the
 * service itself was; in every environment for the top-level `services`, only in that environment
 * for its overrides. An environment's other keys (mode, bind, env) change addresses, not what a
 * reference may name; the services or the environments as a whole taken away leave nothing sure.
 */
function prunedServices(dropped: string[][]): Pruned {
  const unsure = new Set<string>()
  const mayBeOff = new Set<string>()
  let all = false
  for (const path of dropped) {
    // `services.X...` counts everywhere (env '*'); `environments.E.services.X...` in E.
    const [env, at] = path[0] === 'environments' ? [path[1], path.slice(2)] : ['*', path]
    if (path.length === 1 && (path[0] === 'services' || path[0] === 'environments')) all = true
    else if (path[0] === 'environments' && (at.length === 0 || (at[0] === 'services' && at.length === 1))) {
      unsure.add(`${env}\0*`)
      mayBeOff.add(`${env}\0*`)
    } else if (at[0] === 'services') {
      unsure.add(`${env}\0${at[1]}`)
      if (at.length === 2 || at[2] === 'enabled') mayBeOff.add(`${env}\0${at[1]}`)
    }
  }
  const holds = (set: Set<string>) => (name: string, env: string) => all || set.has(`*\0${name}`) || set.has(`${env}\0${name}`) || set.has(`${env}\0*`)
  return { unsure: holds(unsure), mayBeOff: holds(mayBeOff) }
}

/** The resolved project of the selected environment, or an InvalidConfigError with every problem. */
export function loadProject(opts: LoadOptions = {}): Project {
  const v = validateConfig(opts)
  if (v.problems.length || !v.project) throw new InvalidConfigError(v.problems)
  return v.project
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>()
  return problems
    .filter((p) => {
      const key = `${p.file}:${p.line}:${p.column}:${p.message}`
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
    .sort((a, b) => a.line - b.line || a.column - b.column)
}
