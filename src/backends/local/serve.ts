import { resolve } from 'node:path'

/**
 * `supervise --dir DIR --project NAME`, as `pulpo up` starts the supervisor: its two flags, or
 * undefined for anything else (help, a usage error), which goes to the oclif command. main.ts
 * answers it before loading oclif and every command (most of a CLI start), since a first `up`
 * waits for this process to listen.
 */
export function superviseArgs(argv: readonly string[]): { dir: string; project: string } | undefined {
  if (argv[0] !== 'supervise') return undefined
  const flags: Record<string, string> = {}
  for (let i = 1; i < argv.length; i++) {
    const m = /^--(dir|project)(?:=(.*))?$/.exec(argv[i])
    if (!m || m[1] in flags) return undefined
    const value = m[2] ?? argv[++i]
    if (value === undefined || value === '') return undefined
    flags[m[1]] = value
  }
  return flags.dir && flags.project ? { dir: flags.dir, project: flags.project } : undefined
}

/** Runs a project's supervisor until it is shut down. */
export async function supervise(dir: string, project: string): Promise<never> {
  const [{ StateDir }, { Supervisor }] = await Promise.all([import('../../project/paths.js'), import('./supervisor.js')])
  await new Supervisor(new StateDir(resolve(dir), project)).serve()
  // Serve until shut down: the server keeps the event loop alive.
  return new Promise<never>(() => {})
}
