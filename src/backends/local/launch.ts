import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import type { StateDir } from '../../project/paths.js'

/** How to run pulpo itself: the binary, or node with the dev entry point. */
export function selfCommand(): string[] {
  const script = process.argv[1]
  // In the compiled binary argv[1] is a path inside Bun's embedded filesystem.
  if (!script || script.startsWith('/$bunfs') || script.startsWith('B:/~BUN')) return [process.execPath]
  return [process.execPath, ...process.execArgv, script]
}

/** The descriptor on which a supervisor that `up` starts says that it listens (serve.ts). */
export const READY_FD = 3

/** A supervisor's environment: this one's, and where to say that it listens. */
export const supervisorEnv = (): NodeJS.ProcessEnv => ({ ...process.env, PULPO_SUPERVISOR: '1', PULPO_SUPERVISOR_READY_FD: String(READY_FD) })

/** Starts a project's supervisor, detached (it outlives this CLI), its output in the project's supervisor log. */
export function spawnSupervisor(dirs: StateDir): ChildProcess {
  const [file, ...args] = selfCommand()
  const log = openSync(dirs.supervisorLog, 'a', 0o600)
  const stdio: StdioOptions = ['ignore', log, log, 'pipe']
  try {
    const child = spawn(file, [...args, 'supervise', '--dir', dirs.projectDir, '--project', dirs.project], { detached: true, stdio, cwd: dirs.projectDir, env: supervisorEnv() })
    child.unref()
    return child
  } finally {
    closeSync(log)
  }
}
