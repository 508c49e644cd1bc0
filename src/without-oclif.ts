import type { CommandOutput } from './app/output.js'
import type { TargetFlags } from './app/target.js'

/** The commands main.ts runs without oclif: what people and scripts run over and over, and `up`, whose start-up delays every service. */
export type QuickCommand = 'status' | 'up' | 'validate'

/** A command's arguments, as main.ts reads them without oclif. */
export interface QuickArgs {
  command: QuickCommand
  flags: TargetFlags
  json: boolean
  /** `up --prune-indexes`. */
  pruneIndexes: boolean
  /** `up`'s services. */
  services: string[]
}

interface Grammar {
  valued: ReadonlyArray<keyof TargetFlags>
  pruneIndexes?: boolean
  services?: boolean
}

/** Each command's flags as its oclif command declares them (commands/*.ts); `--json` is every command's. */
const GRAMMARS: Record<QuickCommand, Grammar> = {
  status: { valued: ['config', 'env', 'project'] },
  up: { valued: ['config', 'env'], pruneIndexes: true, services: true },
  validate: { valued: ['config', 'env'] },
}

const NAMES: Record<string, keyof TargetFlags> = { '-c': 'config', '--config': 'config', '-e': 'env', '--env': 'env', '-p': 'project', '--project': 'project' }

/**
 * `status`, `up` or `validate` with exactly their own flags (each at most once, a value non-empty
 * and not starting with `-`; `--config=FILE` too), read as oclif reads them, and for `up` service
 * names; undefined for anything else — help, an unknown flag, a flag given twice, -c with -p, `--`,
 * or what oclif reads from the environment (PULPO_CONTENT_TYPE, DEBUG) — which goes to oclif, for
 * its own words and exit codes. oclif with every command is most of a CLI's start-up.
 */
export function quickArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): QuickArgs | undefined {
  const command = argv[0] as QuickCommand
  if (!Object.hasOwn(GRAMMARS, command) || env.PULPO_CONTENT_TYPE !== undefined || env.DEBUG) return undefined
  const grammar = GRAMMARS[command]
  const args: QuickArgs = { command, flags: {}, json: false, pruneIndexes: false, services: [] }
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--json' || (arg === '--prune-indexes' && grammar.pruneIndexes)) {
      const key = arg === '--json' ? 'json' : 'pruneIndexes'
      if (args[key]) return undefined
      args[key] = true
      continue
    }
    if (!arg.startsWith('-')) {
      if (!grammar.services || arg === '') return undefined
      args.services.push(arg)
      continue
    }
    const m = /^(-[cep]|--config|--env|--project)(?:=(.*))?$/s.exec(arg)
    if (!m || (m[2] !== undefined && !m[1].startsWith('--'))) return undefined
    const name = NAMES[m[1]]
    if (!grammar.valued.includes(name) || args.flags[name] !== undefined) return undefined
    const value = m[2] ?? argv[++i]
    if (value === undefined || value === '' || value.startsWith('-')) return undefined
    args.flags[name] = value
  }
  if (args.flags.config !== undefined && args.flags.project !== undefined) return undefined
  return args
}

/** Runs the command as its oclif command would: the same output, JSON and errors (render/errors.ts). */
export async function runWithoutOclif(args: QuickArgs): Promise<void> {
  const { reportError } = await import('./render/errors.js')
  // oclif's Command.log, logToStderr and logJson (no JSON theme is configured): console.log of
  // util.format(text), which is the text itself when it is the only argument.
  const logJson = (data: unknown) => console.log(JSON.stringify(data, undefined, 2))
  const out: CommandOutput = { json: args.json, log: (s: string) => console.log(s), logToStderr: (s: string) => console.error(s) }
  try {
    const result = await run(args, out)
    if (result !== undefined && args.json) logJson(result)
  } catch (err) {
    reportError(err as Error, args.json, logJson)
  }
}

async function run(args: QuickArgs, out: CommandOutput): Promise<unknown> {
  switch (args.command) {
    case 'status':
      return (await import('./app/status.js')).runStatus(args.flags, out)
    case 'up': {
      // Its supervisor starts while the file is read, in case this up needs one (spare.ts).
      const spare = await import('./backends/local/spare.js')
      spare.startSpare(args.flags.config)
      try {
        return await (await import('./app/up.js')).runUp(args.flags, { services: args.services, pruneIndexes: args.pruneIndexes }, out)
      } finally {
        spare.releaseSpare()
      }
    }
    case 'validate':
      return (await import('./app/validate.js')).runValidate(args.flags, out)
  }
}
