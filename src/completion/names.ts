import { findConfigFile, readSource } from '../config/source.js'

/** What the shell completion scripts ask the binary for. */
export const NAME_KINDS = ['services', 'flows', 'environments'] as const
export type NameKind = (typeof NAME_KINDS)[number]

/**
 * Names for completion, read from pulpo.yaml without validating it: a half-written file still
 * completes what it declares. Any failure (no file, broken YAML) gives no names: a completion
 * must never print an error into the user's command line.
 */
export function completionNames(kind: NameKind, config?: string, cwd = process.cwd()): string[] {
  let data: unknown
  try {
    data = readSource(findConfigFile(config, cwd), cwd).data
  } catch {
    return []
  }
  const keys = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : [])
  const root = (data ?? {}) as Record<string, unknown>
  if (kind === 'services') return keys(root.services)
  if (kind === 'environments') return keys(root.environments)
  // A top-level group or standalone `scraping` is the flow `scraping_flow`.
  return [...new Set(keys(root.operations).map((name) => `${name.split('.')[0]}_flow`))]
}
