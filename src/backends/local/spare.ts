import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { locateConfigFile } from '../../config/source.js'
import { StateDir, stateRoot } from '../../project/paths.js'
import { READY_FD, selfCommand, supervisorEnv } from './launch.js'

/**
 * A supervisor process started as `pulpo up` begins, before the project is known: the ≈20 ms a
 * process of this binary takes to start then pass while `up` reads its file, instead of before the
 * first service can start. It waits on its stdin for the project it is to supervise (`adopt`). Not
 * needed after all — the project runs elsewhere, already has a supervisor, or up failed — it is
 * killed as `up` ends; should `up` itself be killed, the spare sees its stdin close and exits
 * (serve.ts).
 */
class Spare {
  private adopted = false
  constructor(private child: ChildProcess) {}

  /** Hands the spare its project; the process, or undefined when the spare is gone. */
  adopt(dirs: StateDir): ChildProcess | undefined {
    const stdin = this.child.stdin
    if (this.child.exitCode !== null || this.child.signalCode !== null || !stdin || stdin.destroyed) return undefined
    stdin.on('error', () => {})
    this.adopted = true
    stdin.end(JSON.stringify({ dir: dirs.projectDir, project: dirs.project }) + '\n')
    return this.child
  }

  /**
   * Lets go of the pipes; a spare never adopted is killed (it holds nothing yet), so that an `up`
   * that needed none leaves no process behind, not even for the moment a spare takes to see its
   * stdin close.
   */
  release(): void {
    if (!this.adopted) this.child.kill('SIGKILL')
    this.child.stdin?.destroy()
    this.child.stdio[READY_FD]?.destroy()
  }
}

let spare: Spare | undefined

/**
 * Starts a spare supervisor for `up -c CONFIG` (or the pulpo.yaml found from `cwd`) when none of
 * the directory's projects has a supervisor's socket: a first `up`. Best effort: any failure to
 * start one is only the cost of starting the supervisor later.
 */
export function startSpare(config: string | undefined, cwd = process.cwd()): void {
  const file = locateConfigFile(config, cwd)
  if (!file) return
  const dir = dirname(file)
  if (hasSupervisor(dir)) return
  try {
    const [file, ...args] = selfCommand()
    const stdio: StdioOptions = ['pipe', 'ignore', 'ignore', 'pipe']
    const child = spawn(file, [...args, 'supervise', '--spare'], { detached: true, stdio, cwd: dir, env: supervisorEnv() })
    child.on('error', () => {})
    child.unref()
    ;(child.stdio[READY_FD] as { unref?: () => void } | null)?.unref?.()
    spare = new Spare(child)
  } catch {
    spare = undefined
  }
}

/** The spare started for this `up`, once: whoever takes it adopts or releases it. */
export function takeSpare(): Spare | undefined {
  const s = spare
  spare = undefined
  return s
}

/** Lets an unused spare go (up is done). */
export function releaseSpare(): void {
  takeSpare()?.release()
}

/** A project of the directory has a supervisor's socket (the usual `up` of a running project), wherever StateDir puts it. */
function hasSupervisor(dir: string): boolean {
  try {
    return readdirSync(stateRoot(dir)).some((name) => existsSync(new StateDir(dir, name).socket))
  } catch {
    return false
  }
}
