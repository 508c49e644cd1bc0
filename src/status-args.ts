import type { TargetFlags } from './app/target.js'

/** `pulpo status`'s flags, as main.ts reads them without oclif. */
export interface StatusArgs {
  flags: TargetFlags
  json: boolean
}

const valued: Record<string, keyof TargetFlags> = { '-c': 'config', '--config': 'config', '-e': 'env', '--env': 'env', '-p': 'project', '--project': 'project' }

/**
 * `status [-c FILE] [-e ENV] [-p NAME] [--json]`, each flag at most once, its value non-empty and
 * not starting with `-` (`--config=FILE` too), read as oclif reads them; undefined for anything
 * else — help, an unknown flag, a flag given twice, -c with -p, `--`, or what oclif reads from
 * the environment (PULPO_CONTENT_TYPE, DEBUG) — which goes to oclif, for its own words and exit
 * codes. `pulpo status` is what a person or a script runs over and over, and oclif with every
 * command is most of a CLI's start-up.
 */
export function statusArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): StatusArgs | undefined {
  if (argv[0] !== 'status' || env.PULPO_CONTENT_TYPE !== undefined || env.DEBUG) return undefined
  const flags: TargetFlags = {}
  let json = false
  for (let i = 1; i < argv.length; i++) {
    if (argv[i] === '--json') {
      if (json) return undefined
      json = true
      continue
    }
    const m = /^(-[cep]|--config|--env|--project)(?:=(.*))?$/s.exec(argv[i])
    if (!m || (m[2] !== undefined && !m[1].startsWith('--'))) return undefined
    const name = valued[m[1]]
    if (flags[name] !== undefined) return undefined
    const value = m[2] ?? argv[++i]
    if (value === undefined || value === '' || value.startsWith('-')) return undefined
    flags[name] = value
  }
  if (flags.config !== undefined && flags.project !== undefined) return undefined
  return { flags, json }
}

/** Runs `pulpo status` as oclif's command would: the same output, JSON and errors (render/errors.ts). */
export async function statusWithoutOclif({ flags, json }: StatusArgs): Promise<void> {
  const [{ runStatus }, { reportError }, { format }] = await Promise.all([import('./app/status.js'), import('./render/errors.js'), import('node:util')])
  // oclif's Command.log, logToStderr and logJson (no JSON theme is configured).
  const logJson = (data: unknown) => console.log(format(JSON.stringify(data, undefined, 2)))
  const out = { json, log: (s: string) => console.log(format(s)), logToStderr: (s: string) => console.error(format(s)) }
  try {
    const result = await runStatus(flags, out)
    if (result && json) logJson(result)
  } catch (err) {
    reportError(err as Error, json, logJson)
  }
}
