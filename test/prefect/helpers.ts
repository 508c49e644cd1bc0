/**
 * Shared by the Prefect tests: copies of the fixture project (test/fixtures/prefect/pipeline) run
 * by the BUILT binary against real Prefect 3 (the venv of scripts/setup-python.sh), the project's
 * Prefect server queried through its REST API, and a /proc scan that proves nothing is left behind.
 *
 * Tests compare timestamps that the operations record themselves; they never time anything.
 * Deadlines (`until`, process timeouts) are generous and only bound how long a broken build takes
 * to fail. PULPO_TEST_TIMING=1 prints how long each pulpo command and API call took, to stderr.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import assert from 'node:assert/strict'
import { execa } from 'execa'
import { BIN, removeDir, ROOT, show, stateDir, type Run } from '../cli/helpers.js'

export { assertNoStackTrace, ensureBinary, ROOT, show, type Run } from '../cli/helpers.js'

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'prefect')
/** The venv with Prefect 3 that scripts/setup-python.sh creates. */
export const VENV_PYTHON = join(ROOT, '.venv', 'bin', 'python')

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Fails early, with what to do, when the venv is missing. */
export function assertVenv(): void {
  assert.ok(existsSync(VENV_PYTHON), `${VENV_PYTHON} is missing: run scripts/setup-python.sh`)
}

import { freePorts } from '../cli/helpers.js'
export { freePorts }

/** Polls `cond` until it returns a value; fails with `what` after a generous deadline. */
export async function until<T>(cond: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await cond()
    if (v) return v
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`)
    await sleep(200)
  }
}

/** `pulpo prefect run --json` per the contract (plus the fields pulpo adds). */
export interface RunJson {
  flow: string
  state: string
  result: unknown
  flow_run_id: string
  error?: string
  message?: string
  api_url?: string
}

/** A flow run, task run, flow or deployment as Prefect's REST API returns it (the fields used). */
export interface ApiFlowRun {
  id: string
  name: string
  flow_id: string
  parent_task_run_id: string | null
  deployment_id: string | null
  state_type: string
  parameters: Record<string, unknown>
}
export interface ApiTaskRun {
  id: string
  name: string
  task_key: string
  flow_run_id: string
  run_count: number
  state_type: string
}

/** A process still around that belongs to a test project, and why it is thought to. */
export interface Leftover {
  pid: number
  command: string
  why: string
}

const read = <T>(f: () => T): T | undefined => {
  try {
    return f()
  } catch {
    return undefined
  }
}

/**
 * A copy of a fixture project in a fresh temporary directory, with its own PREFECT_HOME (so no
 * test touches ~/.prefect) and, when it has a prefect service, a free port for it.
 */
export class PrefectProject {
  /** The temporary directory: the project is `dir/project`, Prefect's home `dir/prefect-home`. */
  readonly root: string
  readonly dir: string
  readonly port: number
  readonly env: Record<string, string>

  private constructor(root: string, port: number, env: Record<string, string>) {
    this.root = root
    this.dir = join(root, 'project')
    this.port = port
    this.env = env
  }

  /** A copy of test/fixtures/prefect/<name> (or of a directory by path) whose `port: 4200` becomes a free port. */
  static async copy(name: string, opts: { python?: string; env?: Record<string, string> } = {}): Promise<PrefectProject> {
    const root = mkdtempSync(join(tmpdir(), 'pulpo-prefect-'))
    const [port] = await freePorts(1)
    const p = new PrefectProject(root, port, {
      PULPO_PYTHON: opts.python ?? VENV_PYTHON,
      PREFECT_HOME: join(root, 'prefect-home'),
      ...opts.env,
    })
    cpSync(resolve(FIXTURES, name), p.dir, { recursive: true })
    mkdirSync(p.env.PREFECT_HOME, { recursive: true })
    const yaml = join(p.dir, 'pulpo.yaml')
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace(/port: 4200\b/g, `port: ${port}`))
    return p
  }

  get api(): string {
    return `http://127.0.0.1:${this.port}/api`
  }

  path(rel: string): string {
    return join(this.dir, rel)
  }

  /** Runs the built binary in the project: a clean environment (PATH, the project's env, `env`). */
  async run(args: string[], env: Record<string, string> = {}): Promise<Run> {
    const t0 = Date.now()
    const r = await execa(BIN, args, {
      cwd: this.dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...this.env, ...env },
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      timeout: 240_000,
    })
    if (process.env.PULPO_TEST_TIMING) process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1)} s] pulpo ${args.join(' ')}\n`)
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) }
  }

  /** `pulpo prefect run ARGS --json`, expecting `exitCode`; stdout must be exactly one JSON object. */
  async flow(args: string[], exitCode = 0): Promise<{ out: RunJson; run: Run }> {
    const run = await this.run(['prefect', 'run', ...args, '--json'])
    assert.equal(run.exitCode, exitCode, `pulpo prefect run ${args.join(' ')} --json: ${show(run)}`)
    let out: RunJson
    try {
      out = JSON.parse(run.stdout)
    } catch {
      return assert.fail(`pulpo prefect run ${args.join(' ')} --json: stdout is not one JSON value: ${show(run)}`)
    }
    return { out, run }
  }

  /** `pulpo up SERVICES` that must succeed. */
  async up(...services: string[]): Promise<Run> {
    const r = await this.run(['up', ...services])
    assert.equal(r.exitCode, 0, `pulpo up ${services.join(' ')}: ${show(r)}\n${this.logs()}`)
    return r
  }

  /** The services' logs, for assertion messages. */
  logs(): string {
    const dir = stateDir(this.dir, 'logs')
    if (!existsSync(dir)) return ''
    return readdirSync(dir).map((f) => `--- ${f}\n${readFileSync(join(dir, f), 'utf8').slice(-4000)}`).join('\n')
  }

  /** GET (or POST with a JSON body) on the project's Prefect server. */
  async get<T>(path: string, body?: unknown): Promise<T> {
    const t0 = Date.now()
    const res = await fetch(`${this.api}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    if (process.env.PULPO_TEST_TIMING) process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${body === undefined ? 'GET' : 'POST'} ${path}\n`)
    assert.ok(res.ok, `${body === undefined ? 'GET' : 'POST'} ${path}: HTTP ${res.status} ${await res.clone().text()}`)
    return (await res.json()) as T
  }

  flowRun(id: string): Promise<ApiFlowRun> {
    return this.get<ApiFlowRun>(`/flow_runs/${id}`)
  }

  async flowName(run: ApiFlowRun): Promise<string> {
    return (await this.get<{ name: string }>(`/flows/${run.flow_id}`)).name
  }

  /** Flow runs whose parent is `id` (a subflow's run points at a task run of its parent's run). */
  childFlowRuns(id: string): Promise<ApiFlowRun[]> {
    return this.get<ApiFlowRun[]>('/flow_runs/filter', { flow_runs: { parent_flow_run_id: { any_: [id] } } })
  }

  taskRuns(flowRunId: string): Promise<ApiTaskRun[]> {
    return this.get<ApiTaskRun[]>('/task_runs/filter', { flow_runs: { id: { any_: [flowRunId] } } })
  }

  /** Task runs of a flow run, once Prefect has recorded `n` of them, all in a final state. */
  settledTaskRuns(flowRunId: string, n: number): Promise<ApiTaskRun[]> {
    const final = new Set(['COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED'])
    return until(async () => {
      const runs = await this.taskRuns(flowRunId)
      return runs.length >= n && runs.every((r) => final.has(r.state_type)) && runs
    }, `flow run ${flowRunId} has ${n} settled task runs`)
  }

  flowRunCount(): Promise<number> {
    return this.get<number>('/flow_runs/count', {})
  }

  /** Live processes that belong to this project: by working directory or environment. */
  leftovers(): Leftover[] {
    const out: Leftover[] = []
    for (const entry of readdirSync('/proc')) {
      const pid = Number(entry)
      if (!Number.isInteger(pid) || pid === process.pid) continue
      let why: string | undefined
      if (read(() => readlinkSync(`/proc/${pid}/cwd`))?.startsWith(this.root)) why = 'working directory'
      else if (read(() => readFileSync(`/proc/${pid}/environ`, 'utf8'))?.includes(this.root)) why = 'environment'
      if (!why) continue
      const state = read(() => readFileSync(`/proc/${pid}/stat`, 'utf8'))
      if (state && /\) [ZX] /.test(state)) continue
      out.push({ pid, command: read(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()) ?? '?', why })
    }
    return out
  }

  /** Waits (generously) until no process of the project is left; the ones still there. */
  async waitForNoLeftovers(): Promise<Leftover[]> {
    const deadline = Date.now() + 30_000
    let left = this.leftovers()
    while (left.length && Date.now() < deadline) {
      await sleep(200)
      left = this.leftovers()
    }
    return left
  }

  /**
   * For `after`: `pulpo down` if anything was started, asserts that no process of the project is
   * left (killing, by pid, whatever a failed test left so it cannot disturb others), removes it.
   */
  async cleanup(): Promise<void> {
    const started = existsSync(stateDir(this.dir, 'state.json'))
    const down = started ? await this.run(['down']) : undefined
    const left = await this.waitForNoLeftovers()
    for (const l of left) {
      try {
        process.kill(l.pid, 'SIGKILL')
      } catch {}
    }
    const logs = this.logs()
    removeDir(this.root)
    if (down) assert.equal(down.exitCode, 0, `pulpo down in cleanup: ${show(down)}\n${logs}`)
    assert.deepEqual(left, [], `processes left behind by ${this.root}:\n${JSON.stringify(left, null, 1)}`)
  }
}

/** A fresh temporary directory (for projects a test writes itself). */
export const scratchDir = () => mkdtempSync(join(tmpdir(), 'pulpo-prefect-'))

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** The keys `pulpo prefect run --json` may print: the contract's four and the ones pulpo adds. */
export const RUN_JSON_KEYS = ['flow', 'state', 'result', 'flow_run_id', 'error', 'message', 'api_url']

/** Asserts the contract shape of `pulpo prefect run --json`. */
export function assertRunShape(out: RunJson): void {
  assert.equal(typeof out, 'object')
  for (const k of ['flow', 'state', 'result', 'flow_run_id']) assert.ok(k in out, `--json has no '${k}': ${JSON.stringify(out)}`)
  for (const k of Object.keys(out)) assert.ok(RUN_JSON_KEYS.includes(k), `--json has an undocumented key '${k}': ${JSON.stringify(out)}`)
  assert.equal(typeof out.flow, 'string')
  assert.equal(typeof out.state, 'string')
  assert.match(out.flow_run_id, UUID)
}

/** Two recorded intervals overlap: each started before the other ended. */
export function assertOverlap(a: { name: string; start: number; end: number }, b: { name: string; start: number; end: number }): void {
  assert.ok(a.start < b.end && b.start < a.end, `${a.name} [${a.start}, ${a.end}] and ${b.name} [${b.start}, ${b.end}] did not overlap: they did not run concurrently`)
}
