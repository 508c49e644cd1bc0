/**
 * pulpo run in the background as a terminal runs it — the leader of a process group of its own,
 * which a terminal's Ctrl-C reaches whole (pulpo and every child it started) — and what of it is
 * left once it ended: shared by the docker and swarm interrupt tests.
 */
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { constants } from 'node:os'
import assert from 'node:assert/strict'
import { BIN, type Run } from '../cli/helpers.js'

export interface Background {
  pid: number
  /** What it printed so far, for failure messages. */
  output(): string
  /** Its exit; a pulpo killed by a signal exits 128 + the signal's number, as a shell says. */
  exited: Promise<Run>
  /** Ctrl-C as a terminal sends it: to the whole process group. */
  interrupt(signal: NodeJS.Signals): void
  /** A signal to pulpo alone (SIGKILL: what the OOM killer does), not to its children. */
  kill(signal: NodeJS.Signals): void
  /** Whether it is still running. */
  running(): boolean
}

/** Starts the built binary in its own session and process group, with only PATH, HOME and DOCKER_HOST from here. */
export function spawnPulpo(args: string[], opts: { cwd: string; env?: Record<string, string> }): Background {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}), ...opts.env }
  const child = spawn(BIN, args, { cwd: opts.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const exited = new Promise<Run>((resolve) => child.once('close', (code, sig) => resolve({ exitCode: code ?? (sig ? 128 + constants.signals[sig] : -1), stdout, stderr })))
  const running = () => child.exitCode === null && child.signalCode === null
  return {
    pid: child.pid!,
    output: () => `--- stdout\n${stdout}\n--- stderr\n${stderr}`,
    exited,
    running,
    interrupt: (sig) => running() && process.kill(-child.pid!, sig),
    kill: (sig) => running() && process.kill(child.pid!, sig),
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Waits until `cond` holds; a generous guard only bounds how long a broken run takes to fail. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, detail: () => string = () => '', timeoutMs = 180_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await cond()) return
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}\n${detail()}`)
    await sleep(everyMs)
  }
}

/** A live process as /proc shows it. */
export interface Proc {
  pid: number
  ppid: number
  pgid: number
  session: number
  cwd: string
  args: string[]
}

/** Every live process (zombies left out: they are gone, only not yet reaped). */
export function processes(): Proc[] {
  const out: Proc[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      // The command name may hold spaces and parentheses: fields start after the last ')'.
      const [state, ppid, pgid, session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (state === 'Z' || state === 'X') continue
      let cwd = ''
      try {
        cwd = readlinkSync(`/proc/${name}/cwd`)
      } catch {}
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean)
      out.push({ pid: Number(name), ppid: Number(ppid), pgid: Number(pgid), session: Number(session), cwd, args })
    } catch {
      // Gone while being read.
    }
  }
  return out
}

/**
 * What a pulpo started as `spawnPulpo` left running: processes of its session or process group
 * (its children, and theirs, keep both unless they leave them), and any process working in the
 * project's directory (children inherit it; a spare supervisor starts there in a session of its own).
 */
export function survivors(pid: number, dir: string): Proc[] {
  return processes().filter((p) => p.pid !== pid && (p.session === pid || p.pgid === pid || p.cwd === dir || p.cwd.startsWith(`${dir}/`)))
}

/** The processes of pulpo's session whose command line holds `words` in a row (e.g. `up --no-start`). */
export function childRunning(pid: number, ...words: string[]): boolean {
  return processes().some((p) => p.session === pid && p.args.some((_, i) => words.every((w, j) => p.args[i + j] === w)))
}

export const describeProcs = (ps: Proc[]) => ps.map((p) => `${p.pid} (ppid ${p.ppid}, pgid ${p.pgid}, cwd ${p.cwd}): ${p.args.join(' ')}`).join('\n')

/** Waits until pulpo left no process behind (but those `others` says are another's); fails naming those that stay. */
export async function assertNothingLeft(pid: number, dir: string, others: (p: Proc) => boolean = () => false): Promise<void> {
  const left = () => survivors(pid, dir).filter((p) => !others(p))
  await until(() => left().length === 0, `no process of pulpo ${pid} is left`, () => describeProcs(left()), 30_000)
}

/** After a failed test: kills what a pulpo left (a process a test started is the test's to end). */
export function killSurvivors(pid: number, dir: string): void {
  for (const p of survivors(pid, dir)) {
    try {
      process.kill(p.pid, 'SIGKILL')
    } catch {}
  }
}
