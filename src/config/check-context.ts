import type { Problem } from '../errors.js'
import { locate, pointer, type Source } from './source.js'
import type { RawConfig } from './model.js'

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

