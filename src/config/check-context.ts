import type { Problem } from '../errors.js'
import { locate, pointer, type Source } from './source.js'
import { dependencies, type RawConfig, type RawDependency, type RawService } from './model.js'

/** What a semantic check sees: the file, its data and the environment being checked. */
export interface CheckContext {
  source: Source
  raw: RawConfig
  /** The selected environment (from --env, PULPO_ENV or the file). */
  envName: string
  /** Whether the selected environment was named on the command line (not by the file). */
  envFromFlag: boolean
}

export type Path = (string | number)[]

/** Builds a located problem. */
export const problem = (ctx: CheckContext, code: string, path: Path, message: string, hint?: string, at: 'key' | 'value' = 'value'): Problem => ({
  file: ctx.source.file,
  ...locate(ctx.source, path, at),
  path: pointer(path),
  code,
  message,
  ...(hint ? { hint } : {}),
})

export type Check = (ctx: CheckContext) => Problem[]


const dependencyCache = new WeakMap<object, Readonly<Record<string, Required<RawDependency>>>>()

/**
 * A service's dependencies in one shape (model.ts's `dependencies`), computed once per service
 * object: several checks ask for them in every environment, and an environment that does not
 * override a service shares its object. Shared: read it, never change it.
 */
export function dependenciesOf(svc: RawService | undefined): Readonly<Record<string, Required<RawDependency>>> {
  if (!svc || typeof svc !== 'object') return dependencies(svc)
  let deps = dependencyCache.get(svc)
  if (!deps) dependencyCache.set(svc, (deps = dependencies(svc)))
  return deps
}
