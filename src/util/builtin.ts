import { createRequire } from 'node:module'

/**
 * A Node built-in, loaded synchronously where it is first used. In the binary a built-in that a
 * loaded chunk imports at the top is set up as the chunk loads, and node:crypto, node:net and
 * node:child_process each cost milliseconds of every start of the commands that reach it
 * (docs/architecture.md, start-up).
 */
export function builtin<T>(name: 'node:crypto' | 'node:net' | 'node:child_process'): T {
  return createRequire(import.meta.url)(name) as T
}
