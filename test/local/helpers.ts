/**
 * Shared by the local-backend tests: temporary projects whose services are real processes
 * (programs/svc.py, programs/web.mjs), run by the BUILT binary, and a /proc scan that proves
 * nothing is left behind.
 *
 * Tests assert order, never durations: services record what they do with monotonic timestamps in
 * events.log, and tests compare those with each other. Waits (`until`) have generous deadlines
 * that only bound how long a broken build takes to fail.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import assert from 'node:assert/strict'
import { BIN, pulpo, removeDir, show, stateDir, writeFiles, type Run } from '../cli/helpers.js'

export { assertNoStackTrace, ensureBinary, show, type Run } from '../cli/helpers.js'

const PROGRAMS = join(dirname(fileURLToPath(import.meta.url)), 'programs')

/** The real Python interpreter (not a version manager's shim, which needs more than PATH). */
export const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim()
export const NODE = process.execPath

/** A service command running programs/svc.py, as a YAML flow list (JSON is YAML). */
export const svc = (name: string, ...args: (string | number)[]) => JSON.stringify([PYTHON, 'svc.py', name, ...args.map(String)])
/** A service command running programs/web.mjs (a Node HTTP server with /health). */
export const web = (name: string, port: number, delayMs = 0) => JSON.stringify([NODE, 'web.mjs', name, String(port), String(delayMs)])

/**
 * Free TCP ports, found by binding port 0 (all held at once, so they differ), then released for
 * the service to take.
 */
import { freePorts } from '../cli/helpers.js'
export { freePorts }

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Polls `cond` until it holds; fails with `what` (and `detail()`) after a generous deadline. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, detail: () => string = () => '', timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await cond()) return
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}\n${detail()}`)
    await sleep(50)
  }
}

/** One line of events.log. */
export interface Event {
  t: bigint
  name: string
  event: string
  pid: number
  pgid: number
  detail: string
}

/** `pulpo status --json`, per the contract. */
export interface StatusJson {
  project: string
  environment: string
  mode: string
  services: StatusRow[]
  notes?: string[]
}
export interface StatusRow {
  name: string
  desired: 'running' | 'absent'
  actual: 'running' | 'starting' | 'stopped' | 'exited' | 'absent'
  health: 'healthy' | 'unhealthy' | 'unknown'
  action: 'create' | 'update' | 'delete' | 'noop'
  reasons: string[]
  pid?: number
  ports: number[]
  since?: string
  restarts: number
  exit_code?: number | null
}

/** `pulpo plan --json`, per the contract. */
export interface PlanJson {
  project: string
  environment: string
  mode: string
  changes: { service: string; action: 'create' | 'update' | 'delete' | 'noop'; reasons: string[] }[]
  summary: { create: number; update: number; delete: number; noop: number }
}

/** A pulpo process running in the background, in a process group of its own (as in a terminal). */
export interface Background {
  child: ChildProcess
  pid: number
  output(): string
  /** Sends a signal to its process group, as a terminal's Ctrl-C does. */
  signal(sig: NodeJS.Signals): void
  exited: Promise<Run>
}

/** A process still around that belongs to a test project, and why it is thought to. */
export interface Leftover {
  pid: number
  command: string
  why: string
}

const all: TestProject[] = []
const TEMP_PREFIX = 'pulpo-local-'

/**
 * A temporary project: pulpo.yaml, the test programs, and everything a test does with it. Every
 * pid and process group pulpo or a service ever reported is remembered for the leftover scan.
 */
export class TestProject {
  /** The temporary directory: removed afterwards, and what the leftover scan looks for. */
  readonly root: string
  /** The project directory: `root`, or `opts.subdir` inside it. */
  readonly dir: string
  private groups = new Set<number>()
  private background: Background[] = []

  constructor(yaml: string, files: Record<string, string> = {}, opts: { subdir?: string } = {}) {
    this.root = mkdtempSync(join(tmpdir(), TEMP_PREFIX))
    this.dir = opts.subdir ? join(this.root, opts.subdir) : this.root
    mkdirSync(this.dir, { recursive: true })
    for (const f of readdirSync(PROGRAMS)) copyFileSync(join(PROGRAMS, f), join(this.dir, f))
    writeFiles(this.dir, { 'pulpo.yaml': yaml, ...files })
    all.push(this)
  }

  write(yaml: string) {
    writeFileSync(join(this.dir, 'pulpo.yaml'), yaml)
  }

  path(rel: string) {
    return join(this.dir, rel)
  }

  /** A path in the project's state directory, .pulpo/<project>/. */
  statePath(rel = '') {
    return stateDir(this.dir, rel)
  }

  touch(rel: string) {
    writeFileSync(this.path(rel), '')
  }

  /** Runs the built binary in the project (clean environment: PATH plus `env`). */
  async run(args: string[], env: Record<string, string> = {}): Promise<Run> {
    const r = await pulpo(args, { cwd: this.dir, env })
    this.remember()
    return r
  }

  /** Runs a command with --json; fails the test unless it exits with `exitCode` and prints JSON. */
  async json<T>(args: string[], exitCode = 0): Promise<T> {
    const r = await this.run([...args, '--json'])
    assert.equal(r.exitCode, exitCode, `pulpo ${args.join(' ')} --json: ${show(r)}`)
    try {
      return JSON.parse(r.stdout) as T
    } catch {
      return assert.fail(`pulpo ${args.join(' ')} --json printed no JSON: ${show(r)}`)
    }
  }

  /** `pulpo up` that must succeed. */
  async up(...services: string[]): Promise<Run> {
    const r = await this.run(['up', ...services])
    assert.equal(r.exitCode, 0, `pulpo up ${services.join(' ')}: ${show(r)}\n${this.supervisorLog()}`)
    return r
  }

  status(): Promise<StatusJson> {
    return this.json<StatusJson>(['status'])
  }

  async service(name: string): Promise<StatusRow> {
    const s = (await this.status()).services.find((r) => r.name === name)
    assert.ok(s, `status --json has no service ${name}`)
    return s
  }

  /** Starts pulpo in the background, in its own process group. */
  spawn(args: string[], env: Record<string, string> = {}): Background {
    const child = spawn(BIN, args, { cwd: this.dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const exited = new Promise<Run>((resolve) => child.once('close', (code, sig) => resolve({ exitCode: code ?? (sig ? 128 + (sigNumber[sig] ?? 0) : -1), stdout, stderr })))
    const bg: Background = {
      child,
      pid: child.pid!,
      output: () => `--- stdout\n${stdout}\n--- stderr\n${stderr}`,
      signal: (sig) => {
        if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, sig)
      },
      exited,
    }
    this.background.push(bg)
    return bg
  }

  /** What the services recorded, in order of time. */
  events(): Event[] {
    const file = this.path('events.log')
    if (!existsSync(file)) return []
    const out = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [t, name, event, pid, pgid, ...rest] = l.split(' ')
        return { t: BigInt(t), name, event, pid: Number(pid), pgid: Number(pgid), detail: rest.join(' ') }
      })
    for (const e of out) this.groups.add(e.pgid)
    return out.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0))
  }

  /** Events of one service (and kind), in order. */
  eventsOf(name: string, event?: string): Event[] {
    return this.events().filter((e) => e.name === name && (event === undefined || e.event === event))
  }

  /** The first `event` of `name`; fails the test when there is none. */
  first(name: string, event: string): Event {
    const e = this.eventsOf(name, event)[0]
    assert.ok(e, `${name} recorded no '${event}' event:\n${this.eventLog()}`)
    return e
  }

  /**
   * The first `event` of `name`, waiting for it: a service without a probe counts as up once
   * spawned, so `up` may return before the program has recorded its start.
   */
  async when(name: string, event: string): Promise<Event> {
    await until(() => this.eventsOf(name, event).length > 0, `${name} records '${event}'`, () => this.eventLog())
    return this.first(name, event)
  }

  /** The last `event` of `name`; fails the test when there is none. */
  last(name: string, event: string): Event {
    const e = this.eventsOf(name, event).at(-1)
    assert.ok(e, `${name} recorded no '${event}' event:\n${this.eventLog()}`)
    return e
  }

  eventLog(): string {
    const file = this.path('events.log')
    return existsSync(file) ? readFileSync(file, 'utf8') : '(no events.log)'
  }

  supervisorLog(): string {
    const file = this.statePath('supervisor.log')
    const text = existsSync(file) ? readFileSync(file, 'utf8').trim() : ''
    return text ? `--- supervisor.log\n${text}` : ''
  }

  /** The supervisor's state file, if any. */
  state(): { supervisor?: { pid: number }; services: Record<string, { pid?: number; status: string }> } | undefined {
    try {
      return JSON.parse(readFileSync(this.statePath('state.json'), 'utf8'))
    } catch {
      return undefined
    }
  }

  /** Notes every process group the state file and the events name (a service's pid is its pgid). */
  remember() {
    const s = this.state()
    if (s?.supervisor?.pid) this.groups.add(s.supervisor.pid)
    for (const v of Object.values(s?.services ?? {})) if (v.pid) this.groups.add(v.pid)
    this.events()
  }

  /** Live processes that belong to this project: by working directory, environment or process group. */
  leftovers(): Leftover[] {
    this.remember()
    const out: Leftover[] = []
    const mine = new Set(this.background.map((b) => b.pid))
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      const pid = Number(entry)
      if (pid === process.pid || mine.has(pid)) continue
      const st = stat(pid)
      if (!st || st.state === 'Z' || st.state === 'X') continue
      const cwd = read(() => readlinkSync(`/proc/${pid}/cwd`)) ?? ''
      const environ = read(() => readFileSync(`/proc/${pid}/environ`, 'utf8')) ?? ''
      let why = ''
      if (cwd.startsWith(this.root)) why = 'working directory'
      else if (environ.includes(this.root)) why = 'environment'
      // pids wrap around (pid_max may be 32768): a group this project once had may now be another
      // test project's process, which says so by its directory.
      else if (this.groups.has(st.pgid) && !`${cwd}\0${environ}`.includes(TEMP_PREFIX)) why = `process group ${st.pgid}`
      if (why) out.push({ pid, command: read(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()) ?? '?', why })
    }
    return out
  }

  /** Waits (generously) for the project's processes to be gone; the ones still there. */
  async waitForNoLeftovers(): Promise<Leftover[]> {
    const deadline = Date.now() + 20_000
    let left = this.leftovers()
    while (left.length && Date.now() < deadline) {
      await sleep(100)
      left = this.leftovers()
    }
    return left
  }

  async assertNoLeftovers() {
    const left = await this.waitForNoLeftovers()
    assert.deepEqual(left, [], `processes left behind by ${this.root}:\n${JSON.stringify(left, null, 1)}`)
  }

  /** Ends the background pulpo processes this test started, and runs `pulpo down`. */
  async down(): Promise<Run> {
    for (const b of this.background) {
      if (b.child.exitCode === null && b.child.signalCode === null) b.signal('SIGKILL')
      await b.exited
    }
    return this.run(['down'])
  }

  /**
   * After `down`: asserts that no process of the project is left and removes the directory.
   * Whatever is left is killed (by the pid found), so that it cannot disturb other tests.
   */
  async checkAndRemove(down: Run) {
    const left = await this.waitForNoLeftovers()
    for (const l of left) {
      try {
        process.kill(l.pid, 'SIGKILL')
      } catch {}
    }
    const started = existsSync(this.path('.pulpo'))
    // What the project recorded, to tell where a leftover came from.
    const story = left.length ? `\n--- events.log\n${this.eventLog()}\n--- state.json\n${JSON.stringify(this.state() ?? null)}\n${this.supervisorLog()}\n--- down\n${show(down)}` : ''
    removeDir(this.root)
    // A project whose pulpo.yaml is invalid never started anything to take down.
    if (started) assert.equal(down.exitCode, 0, `pulpo down in cleanup: ${show(down)}`)
    assert.deepEqual(left, [], `processes left behind by ${this.root}:\n${JSON.stringify(left, null, 1)}${story}`)
  }
}

/**
 * For `afterEach`/`after`: `pulpo down` in every project made since the last call, then the /proc scan for each
 * (all are down first, so no project's processes can be mistaken for another's).
 */
export async function cleanupAll() {
  const projects = all.splice(0)
  const downs: Run[] = []
  for (const p of projects) downs.push(await p.down())
  const errors: unknown[] = []
  for (const [i, p] of projects.entries()) {
    try {
      await p.checkAndRemove(downs[i])
    } catch (e) {
      errors.push(e)
    }
  }
  if (errors.length) throw errors[0]
}

/** `t` of `a` is before `t` of `b`, with both events in the message. */
export function assertBefore(a: Event, b: Event, message = '') {
  assert.ok(a.t < b.t, `expected '${a.name} ${a.event}' before '${b.name} ${b.event}'${message ? `: ${message}` : ''}`)
}

/** Whether a process (by pid) is alive and not a zombie. */
export function alive(pid: number | undefined): boolean {
  if (!pid) return false
  const st = stat(pid)
  return !!st && st.state !== 'Z' && st.state !== 'X'
}

function stat(pid: number): { state: string; pgid: number } | undefined {
  const text = read(() => readFileSync(`/proc/${pid}/stat`, 'utf8'))
  if (!text) return undefined
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return { state: f[0], pgid: Number(f[2]) }
}

function read<T>(f: () => T): T | undefined {
  try {
    return f()
  } catch {
    return undefined
  }
}

const sigNumber: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }
