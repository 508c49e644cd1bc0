import { closeSync, writeSync } from 'node:fs'
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
  // Tell the `pulpo up` that started it that it listens (client.ts), and let go of the pipe
  // before any service is started, so that none inherits it.
  const fd = Number(process.env.PULPO_SUPERVISOR_READY_FD)
  delete process.env.PULPO_SUPERVISOR_READY_FD
  if (fd > 2) {
    try {
      writeSync(fd, 'listening\n')
      closeSync(fd)
    } catch {
      // Not started by `up` after all: nobody to tell.
    }
  }
  // Serve until shut down: the server keeps the event loop alive.
  return new Promise<never>(() => {})
}
