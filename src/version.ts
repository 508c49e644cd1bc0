import pjson from '../package.json' with { type: 'json' }

/** Baked in by scripts/build.mjs (bun build --define); absent when run from the sources. */
declare const PULPO_BUILD: { commit: string; date: string } | undefined

/**
 * `pulpo/0.1.0 (abc1234, 2026-11-29)`: pulpo's version, and the commit and date it was built
 * from, so a bug report names the exact build. oclif's own line would name the JavaScript
 * runtime inside the binary instead, which tells a user nothing.
 */
export function versionLine(): string {
  const build = typeof PULPO_BUILD === 'undefined' ? undefined : PULPO_BUILD
  return `${pjson.name}/${pjson.version} (${build ? `${build.commit}, ${build.date}` : 'from source'})`
}

/** `pulpo --version` and `pulpo -v` alone: answered before the CLI framework is loaded. */
export const isVersionRequest = (argv: readonly string[]): boolean => argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')
