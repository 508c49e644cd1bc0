/**
 * The README's first command, end to end: what scripts/example.sh does (validate, up, status,
 * prefect run scraping_flow --param keywords=python), with the BUILT binary, on a copy of
 * pulpo.example.yaml whose only changes are free ports and absolute paths back into this
 * repository — the same examples/ code, the same .venv — so it runs beside a copy of the example
 * already up on the default ports. Then what a user would look at: the API's JSON, the flow runs in
 * the project's Prefect server, the UI page as headless Chromium renders it (a screenshot is saved
 * as test-artifacts/example-ui.png), the runs on Prefect's own UI (test-artifacts/example-prefect-runs.png),
 * and finally `pulpo down` leaving no process behind.
 *
 * Needs: dist/pulpo (built if stale), .venv (scripts/setup-python.sh), mongod or $PULPO_FERRETDB
 * (scripts/setup-mongodb.sh), and Debian's chromium at /usr/bin/chromium (or $CHROMIUM).
 * Deadlines are generous and only bound how long a broken build takes to fail; nothing is timed.
 */
import { after, before, describe, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, isAbsolute, join, resolve } from 'node:path'
import { execa } from 'execa'
import YAML, { isMap, isSeq, type Document } from 'yaml'
import { assertNoStackTrace, stateDir, BIN, ensureBinary, EXAMPLE, removeDir, ROOT, show, type Run } from '../cli/helpers.js'

/** The file name scripts/example.sh passes with -c; the temp project uses the same. */
const CONFIG = 'pulpo.example.yaml'
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
const ARTIFACTS = join(ROOT, 'test-artifacts')
const SCREENSHOT = join(ARTIFACTS, 'example-ui.png')
const PYTHON = join(ROOT, '.venv', 'bin', 'python')
const KEYWORDS = 'python'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

// ---------------------------------------------------------------------------------------------
// The temp project: pulpo.example.yaml with free ports and absolute paths into the repository.

/** Distinct free TCP ports (all bound at once so they differ, then released for the services). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<net.Server>((ok, fail) => {
      const s = net.createServer()
      s.once('error', fail)
      s.listen({ host: '127.0.0.1', port: 0 }, () => ok(s))
    })),
  )
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port)
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  return ports
}

/** Each value the rewrite changed: its path in the document, and the old and new values. */
interface Edit {
  path: (string | number)[]
  from: unknown
  to: unknown
}

/**
 * pulpo.example.yaml for a project in another directory: every service's port becomes a free one,
 * and every path (python, python_path, cwd, build.context, watch — in services and in environment
 * overrides) becomes the absolute path it names in this repository. Edited through the `yaml`
 * document API, in place, so comments, order and flow/block styles stay as they were.
 */
function rewriteExample(text: string, ports: Record<string, number>): { text: string; edits: Edit[] } {
  const doc = YAML.parseDocument(text)
  assert.deepEqual(doc.errors, [], `${EXAMPLE} does not parse`)
  const edits: Edit[] = []
  const set = (path: (string | number)[], to: unknown) => {
    edits.push({ path, from: doc.getIn(path), to })
    doc.setIn(path, to)
  }
  const repoPath = (p: unknown) => (typeof p === 'string' && !isAbsolute(p) ? resolve(ROOT, p) : p)

  set(['python'], PYTHON)
  pathList(doc, ['python_path'], set, repoPath)
  const serviceNodes: (string | number)[][] = []
  for (const name of mapKeys(doc, ['services'])) serviceNodes.push(['services', name])
  for (const env of mapKeys(doc, ['environments'])) {
    for (const name of mapKeys(doc, ['environments', env, 'services'])) serviceNodes.push(['environments', env, 'services', name])
  }
  for (const at of serviceNodes) {
    const name = String(at.at(-1))
    if (doc.hasIn([...at, 'port'])) {
      assert.ok(ports[name], `no free port was set aside for service ${name}`)
      set([...at, 'port'], ports[name])
    }
    if (doc.hasIn([...at, 'cwd'])) set([...at, 'cwd'], repoPath(doc.getIn([...at, 'cwd'])))
    const build = doc.getIn([...at, 'build'])
    if (typeof build === 'string') set([...at, 'build'], repoPath(build))
    else if (doc.hasIn([...at, 'build', 'context'])) set([...at, 'build', 'context'], repoPath(doc.getIn([...at, 'build', 'context'])))
    pathList(doc, [...at, 'watch'], set, repoPath)
  }
  return { text: doc.toString(), edits }
}

function mapKeys(doc: Document, path: string[]): string[] {
  const node = doc.getIn(path, true)
  return isMap(node) ? node.items.map((pair) => String((pair.key as { value?: unknown })?.value ?? pair.key)) : []
}

function pathList(doc: Document, path: (string | number)[], set: (p: (string | number)[], v: unknown) => void, repoPath: (p: unknown) => unknown) {
  const node = doc.getIn(path, true)
  if (isSeq(node)) node.items.forEach((_, i) => set([...path, i], repoPath(doc.getIn([...path, i]))))
  else if (typeof doc.getIn(path) === 'string') set(path, repoPath(doc.getIn(path)))
}

/** The comment lines of a YAML text (whole-line and trailing), trimmed. */
const commentsOf = (text: string) => text.split('\n').flatMap((l) => (l.match(/(?:^|\s)(#.*)$/)?.[1] ?? []))

// ---------------------------------------------------------------------------------------------
// Running things.

/** The environment pulpo runs with: PATH and HOME from this shell, plus the MongoDB-wire server. */
function pulpoEnv(): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' }
  if (process.env.HOME) env.HOME = process.env.HOME
  if (process.env.PULPO_FERRETDB) env.PULPO_FERRETDB = process.env.PULPO_FERRETDB
  return env
}

const onPath = (cmd: string) => (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)))

/** `dist/pulpo ARGS -c pulpo.example.yaml` in the temp project, as scripts/example.sh runs it. */
async function pulpo(args: string[], timeoutMs = 300_000): Promise<Run> {
  const r = await execa(BIN, [...args, '-c', CONFIG], { cwd: dir, env: pulpoEnv(), extendEnv: false, reject: false, stdin: 'ignore', timeout: timeoutMs })
  rememberState()
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) }
}

/**
 * Headless Chromium on a URL, in a process group of its own (killed whole if it hangs), with a
 * fresh profile inside the temp project, so the leftover scan covers its processes too.
 */
async function chromium(url: string, extra: string[], budgetMs = 5000, timeoutMs = 120_000): Promise<Run> {
  const profile = mkdtempSync(join(dir, 'chromium-'))
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, `--virtual-time-budget=${budgetMs}`, ...extra, url]
  const child = spawn(CHROMIUM, args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const timer = setTimeout(() => {
    stderr += `\n(killed after ${timeoutMs} ms)`
    try {
      process.kill(-child.pid!, 'SIGKILL')
    } catch {}
  }, timeoutMs)
  const code = await new Promise<number>((ok) => child.once('close', (c, sig) => ok(c ?? (sig ? 128 : -1))))
  clearTimeout(timer)
  return { exitCode: code, stdout, stderr }
}

async function getJson<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) })
  const body = await res.text()
  assert.equal(res.status, 200, `${init?.method ?? 'GET'} ${url}: HTTP ${res.status}: ${body}`)
  try {
    return JSON.parse(body) as T
  } catch {
    return assert.fail(`${url} answered no JSON: ${body.slice(0, 500)}`)
  }
}

const postJson = <T>(url: string, body: unknown) => getJson<T>(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })

/** The end of each service's log and of the supervisor's, for failure messages. */
function logs(): string {
  const out: string[] = []
  const tail = (file: string, label: string) => existsSync(file) && out.push(`--- ${label}\n${readFileSync(file, 'utf8').split('\n').slice(-40).join('\n')}`)
  tail(stateDir(dir, 'supervisor.log'), 'supervisor.log')
  const logDir = stateDir(dir, 'logs')
  if (existsSync(logDir)) for (const f of readdirSync(logDir)) tail(join(logDir, f), f)
  return out.join('\n')
}

// ---------------------------------------------------------------------------------------------
// Processes of the temp project, for the check that `pulpo down` leaves none.

/** Every pid .pulpo/state.json ever named (supervisor and services), with its start time. */
const recorded = new Map<number, { what: string; startTime?: number }>()

function rememberState() {
  let state: { supervisor?: { pid: number; startTime?: number }; services?: Record<string, { pid?: number; startTime?: number }> }
  try {
    state = JSON.parse(readFileSync(stateDir(dir, 'state.json'), 'utf8'))
  } catch {
    return
  }
  if (state.supervisor?.pid) recorded.set(state.supervisor.pid, { what: 'the supervisor (state.json)', startTime: state.supervisor.startTime })
  for (const [name, s] of Object.entries(state.services ?? {})) if (s.pid) recorded.set(s.pid, { what: `service ${name} (state.json)`, startTime: s.startTime })
}

function read<T>(f: () => T): T | undefined {
  try {
    return f()
  } catch {
    return undefined
  }
}

/** A live (not zombie) process's state and start time (in clock ticks since boot), from /proc. */
function procStat(pid: number): { state: string; startTime: number } | undefined {
  const text = read(() => readFileSync(`/proc/${pid}/stat`, 'utf8'))
  if (!text) return undefined
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ')
  if (f[0] === 'Z' || f[0] === 'X') return undefined
  return { state: f[0], startTime: Number(f[19]) }
}

interface Leftover {
  pid: number
  why: string
  command: string
}

/**
 * Live processes of the temp project: a pid state.json named (same start time, so a reused pid
 * does not count), or a process whose working directory, command line or environment mentions the
 * project's directory (every service gets PULPO_DATA_DIR inside it, even with its cwd in examples/).
 */
function leftovers(): Leftover[] {
  const real = realpathSync(dir)
  const mentions = (s: string | undefined) => !!s && (s.includes(real) || s.includes(dir))
  const out: Leftover[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    if (pid === process.pid) continue
    const st = procStat(pid)
    if (!st) continue
    const rec = recorded.get(pid)
    let why = ''
    if (rec && (rec.startTime === undefined || rec.startTime === st.startTime)) why = rec.what
    else if (mentions(read(() => readlinkSync(`/proc/${pid}/cwd`)))) why = 'working directory in the project'
    else if (mentions(read(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8')))) why = 'command line names the project'
    else if (mentions(read(() => readFileSync(`/proc/${pid}/environ`, 'utf8')))) why = 'environment names the project'
    if (why) out.push({ pid, why, command: read(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()) ?? '?' })
  }
  return out
}

/** Waits (generously) for the project's processes to be gone; those still there. */
async function waitForNoLeftovers(timeoutMs = 30_000): Promise<Leftover[]> {
  const deadline = Date.now() + timeoutMs
  let left = leftovers()
  while (left.length && Date.now() < deadline) {
    await sleep(200)
    left = leftovers()
  }
  return left
}

const listening = (port: number) =>
  new Promise<boolean>((ok) => {
    const s = net.connect({ host: '127.0.0.1', port })
    s.once('connect', () => (s.destroy(), ok(true)))
    s.once('error', () => ok(false))
  })

// ---------------------------------------------------------------------------------------------

let dir = ''
let ports: Record<string, number> = {}
const url = (service: string, path = '') => `http://127.0.0.1:${ports[service]}${path}`

/** Why later steps cannot run (an earlier one they need failed); they are skipped, saying so. */
let broken = ''
function needs(t: TestContext): boolean {
  if (broken) t.skip(`needs an earlier step, which failed: ${broken}`)
  return !broken
}
/** Runs a step's body; if it throws, later steps are skipped with `what` as the reason. */
async function step(t: TestContext, what: string, body: () => Promise<void>) {
  if (!needs(t)) return
  try {
    await body()
  } catch (e) {
    broken = what
    throw e
  }
}

let firstRun: { stored: number; inserted: number; updated: number } | undefined
let jsonRun: { flow: string; state: string; result: { stored: number; inserted: number; updated: number }; flow_run_id: string; api_url?: string } | undefined
let stored: { url: string; title: string; company?: string; source: string }[] = []
let downDone = false

before(async () => {
  await ensureBinary()
  dir = mkdtempSync(join(tmpdir(), 'pulpo-e2e-'))
})

after(async () => {
  if (!dir) return
  // Whatever a failed step left running: take it down, then kill what is still there by pid.
  if (!downDone && existsSync(join(dir, '.pulpo'))) await pulpo(['down'], 120_000)
  for (const l of await waitForNoLeftovers(downDone ? 0 : 30_000)) {
    try {
      process.kill(l.pid, 'SIGKILL')
    } catch {}
  }
  removeDir(dir)
})

describe('the example, as scripts/example.sh runs it, on fresh ports', () => {
  test('what it needs: dist/pulpo, .venv with Prefect, a MongoDB-wire server, chromium', () => {
    const missing: string[] = []
    if (!existsSync(PYTHON)) missing.push(`${PYTHON} (run scripts/setup-python.sh)`)
    if (!onPath('mongod') && !(process.env.PULPO_FERRETDB && existsSync(process.env.PULPO_FERRETDB))) missing.push('mongod on PATH or $PULPO_FERRETDB (run eval "$(scripts/setup-mongodb.sh)")')
    if (!existsSync(CHROMIUM)) missing.push(`${CHROMIUM} (apt-get install -y chromium)`)
    if (missing.length) broken = 'the prerequisites'
    assert.deepEqual(missing, [], 'missing prerequisites')
  })

  test('the temp project: pulpo.example.yaml with only its ports and paths changed, comments kept', async (t) => {
    await step(t, 'writing the temp project', async () => {
      const original = readFileSync(EXAMPLE, 'utf8')
      const names = Object.entries((YAML.parse(original) as { services: Record<string, { port?: number }> }).services).filter(([, s]) => s.port !== undefined).map(([n]) => n)
      const free = await freePorts(names.length)
      ports = Object.fromEntries(names.map((n, i) => [n, free[i]]))
      const { text, edits } = rewriteExample(original, ports)
      writeFileSync(join(dir, CONFIG), text)

      // Every port moved, and nothing but the edited values differs.
      assert.deepEqual(new Set(names), new Set(['db', 'pg', 'prefect', 'jobboard', 'api', 'ui']), 'the services with a port')
      const expected = YAML.parse(original)
      for (const e of edits) {
        let node = expected
        for (const k of e.path.slice(0, -1)) node = node[k]
        node[e.path.at(-1)!] = e.to
      }
      assert.deepEqual(YAML.parse(text), expected)
      for (const e of edits.filter((e) => e.path.at(-1) === 'port')) assert.notEqual(e.to, e.from, `${e.path.join('.')} still ${e.from}`)
      assert.deepEqual(commentsOf(text), commentsOf(original), 'the comments are kept')
      // The paths point at this repository's files, which exist.
      for (const e of edits.filter((e) => e.path.at(-1) !== 'port')) assert.ok(existsSync(String(e.to)), `${e.path.join('.')}: ${e.to} does not exist`)
    })
  })

  test('pulpo validate', async (t) => {
    await step(t, 'pulpo validate', async () => {
      const r = await pulpo(['validate'])
      assert.equal(r.exitCode, 0, show(r))
      assertNoStackTrace(r)
    })
  })

  test('pulpo up: every service started and ready', async (t) => {
    await step(t, 'pulpo up', async () => {
      const r = await pulpo(['up'])
      assert.equal(r.exitCode, 0, `${show(r)}\n${logs()}`)
      assertNoStackTrace(r)
      assert.match(r.stdout, /✔ jobs is up \(7 services, 7 changed\)/, show(r))
    })
  })

  test('pulpo status: all seven running, the probed ones healthy, on the new ports', async (t) => {
    await step(t, 'pulpo status', async () => {
      const r = await pulpo(['status'])
      assert.equal(r.exitCode, 0, show(r))
      assert.match(r.stdout, /in sync/, show(r))
      // SERVICE DESIRED ACTUAL HEALTH PID PORTS ...
      for (const name of ['db', 'pg', 'prefect', 'flows', 'jobboard', 'api', 'ui']) {
        assert.match(r.stdout, new RegExp(`^${name}\\s+running\\s+running\\s+healthy\\s+\\d+\\s+${ports[name] ?? '-'}\\s`, 'm'), `status shows ${name} running and healthy:\n${r.stdout}`)
      }
      const j = await pulpo(['status', '--json'])
      assert.equal(j.exitCode, 0, show(j))
      const rows = (JSON.parse(j.stdout) as { services: { name: string; actual: string; health: string; action: string; ports: number[] }[] }).services
      assert.deepEqual(rows.map((s) => s.name).sort(), ['api', 'db', 'flows', 'jobboard', 'pg', 'prefect', 'ui'])
      for (const s of rows) {
        assert.equal(s.actual, 'running', `${s.name}: ${JSON.stringify(s)}`)
        assert.equal(s.action, 'noop', `${s.name}: ${JSON.stringify(s)}`)
        assert.notEqual(s.health, 'unhealthy', `${s.name}: ${JSON.stringify(s)}`)
        if (ports[s.name]) assert.deepEqual(s.ports, [ports[s.name]], `${s.name}'s ports`)
      }
      for (const name of ['db', 'pg', 'prefect', 'jobboard', 'api', 'ui']) assert.equal(rows.find((s) => s.name === name)!.health, 'healthy', name)
    })
  })

  test(`pulpo prefect run scraping_flow --param keywords=${KEYWORDS}: completes on the project's server, prints what it stored`, async (t) => {
    await step(t, 'pulpo prefect run', async () => {
      const r = await pulpo(['prefect', 'run', 'scraping_flow', '--param', `keywords=${KEYWORDS}`])
      assert.equal(r.exitCode, 0, `${show(r)}\n${logs()}`)
      assertNoStackTrace(r)
      assert.match(r.stderr, new RegExp(`running scraping_flow on the project's Prefect server \\(http://127\\.0\\.0\\.1:${ports.prefect}/api\\)`), show(r))
      assert.match(r.stderr, /✔ scraping_flow completed \(flow run [0-9a-f-]{36}\)/, show(r))
      // The result is the last thing on stdout (the flow's own logs come before it).
      const result = r.stdout.slice(r.stdout.lastIndexOf('\n{') + 1)
      firstRun = JSON.parse(result)
      assert.ok(firstRun!.stored > 0, `nothing stored: ${result}`)
      assert.deepEqual(firstRun, { stored: firstRun!.stored, inserted: firstRun!.stored, updated: 0 }, 'a fresh database: every job is new')
    })
  })

  test('pulpo prefect run ... --json: the contract shape, state COMPLETED', async (t) => {
    await step(t, 'pulpo prefect run --json', async () => {
      const r = await pulpo(['prefect', 'run', 'scraping_flow', '--param', `keywords=${KEYWORDS}`, '--json'])
      assert.equal(r.exitCode, 0, show(r))
      jsonRun = JSON.parse(r.stdout)
      const out = jsonRun!
      assert.equal(out.flow, 'scraping_flow')
      assert.equal(out.state, 'COMPLETED')
      assert.match(out.flow_run_id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
      assert.equal(out.api_url, url('prefect', '/api'))
      // The same jobs again: all already there.
      assert.deepEqual(out.result, { stored: firstRun!.stored, inserted: 0, updated: firstRun!.stored })
    })
  })

  test(`the API: /jobs lists the stored jobs, exactly the job boards' answers for "${KEYWORDS}"; /jobs/count agrees`, async (t) => {
    await step(t, 'the API', async () => {
      stored = await getJson(url('api', '/jobs'))
      assert.ok(Array.isArray(stored), `/jobs is not a list: ${JSON.stringify(stored)}`)
      for (const job of stored) {
        for (const key of ['url', 'title', 'source'] as const) assert.equal(typeof job[key], 'string', `${key} of ${JSON.stringify(job)}`)
        assert.ok(['stepstone', 'linkedin'].includes(job.source), `source of ${JSON.stringify(job)}`)
      }
      // What the boards answer for the keywords (one LinkedIn page: the flow's default), asked directly.
      const stepstone = await getJson<{ link: string }[]>(url('jobboard', `/stepstone/search?q=${KEYWORDS}`))
      const linkedin = await getJson<{ results: { url: string }[] }>(url('jobboard', `/linkedin/jobs?keywords=${KEYWORDS}&page=1`))
      const matching = new Set([...stepstone.map((j) => j.link), ...linkedin.results.map((j) => j.url)])
      assert.deepEqual(new Set(stored.map((j) => j.url)), matching, `the stored jobs are the ones matching "${KEYWORDS}"`)
      assert.equal(new Set(stored.map((j) => j.url)).size, stored.length, 'one job per url')
      const other = await getJson<{ link: string }[]>(url('jobboard', '/stepstone/search?q=java'))
      assert.ok(other.length > 0 && other.every((j) => !matching.has(j.link)), 'the board has jobs that do not match, and they were not stored')

      assert.equal(stored.length, firstRun!.stored, 'as many jobs as the flow stored')
      assert.deepEqual(await getJson(url('api', '/jobs/count')), { count: stored.length })
      // The UI's proxy serves the same.
      assert.deepEqual(await getJson(url('ui', '/api/jobs')), stored)
    })
  })

  test("the flow runs are in the project's Prefect server: scraping_flow COMPLETED, with its subflow runs", async (t) => {
    await step(t, 'the Prefect server', async () => {
      const api = url('prefect', '/api')
      const flows = await postJson<{ id: string; name: string }[]>(`${api}/flows/filter`, {})
      const flowName = new Map(flows.map((f) => [f.id, f.name]))
      type FlowRun = { id: string; flow_id: string; state_type: string; parent_task_run_id: string | null }
      const runs = await postJson<FlowRun[]>(`${api}/flow_runs/filter`, { flows: { name: { any_: ['scraping_flow'] } } })
      assert.equal(runs.length, 2, `two scraping_flow runs (plain and --json): ${JSON.stringify(runs)}`)
      for (const r of runs) assert.equal(r.state_type, 'COMPLETED', JSON.stringify(r))
      const run = runs.find((r) => r.id === jsonRun!.flow_run_id)
      assert.ok(run, `the --json run ${jsonRun!.flow_run_id} is on the server`)

      for (const parent of runs) {
        const children = await postJson<FlowRun[]>(`${api}/flow_runs/filter`, { flow_runs: { parent_flow_run_id: { any_: [parent.id] } } })
        assert.deepEqual(children.map((c) => flowName.get(c.flow_id)).sort(), ['scraping.linkedin', 'scraping.stepstone'], `subflows of ${parent.id}`)
        for (const c of children) assert.equal(c.state_type, 'COMPLETED', JSON.stringify(c))
        // The tasks: merge and store in the flow itself, each fetch in its subflow.
        const tasks = await postJson<{ name: string; state_type: string }[]>(`${api}/task_runs/filter`, { flow_runs: { id: { any_: [parent.id, ...children.map((c) => c.id)] } } })
        const taskNames = tasks.map((x) => x.name.replace(/-[^-]+$/, '')).sort()
        for (const name of ['scraping.linkedin.fetch', 'scraping.merge', 'scraping.stepstone.fetch', 'scraping.store']) assert.ok(taskNames.includes(name), `task ${name} in ${JSON.stringify(taskNames)}`)
        for (const x of tasks) if (!x.name.startsWith('scraping.linkedin-') && !x.name.startsWith('scraping.stepstone-')) assert.equal(x.state_type, 'COMPLETED', JSON.stringify(x))
      }
      // Prefect's UI is served by the same server.
      const page = await fetch(url('prefect', '/'), { signal: AbortSignal.timeout(60_000) })
      assert.equal(page.status, 200)
      assert.match(await page.text(), /<title>Prefect/i)
    })
  })

  test('the UI, rendered by headless Chromium, lists the jobs; a screenshot is saved', async (t) => {
    await step(t, 'the UI', async () => {
      const r = await chromium(url('ui', '/'), ['--dump-dom'])
      assert.equal(r.exitCode, 0, show(r))
      const dom = r.stdout
      assert.match(dom, /<h1>pulpo jobs<\/h1>/, dom)
      const count = dom.match(/<p id="count"[^>]*>([^<]*)<\/p>/)?.[1]
      assert.equal(count, stored.length === 1 ? '1 job' : `${stored.length} jobs`, `the #count line:\n${dom}`)
      const body = dom.match(/<tbody id="jobs">([\s\S]*?)<\/tbody>/)?.[1] ?? ''
      assert.equal(body.match(/<tr>/g)?.length ?? 0, stored.length, `one row per job:\n${body}`)
      const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\u00a0/g, '&nbsp;')
      for (const job of stored) {
        assert.ok(body.includes(`<td>${html(job.title)}</td>`), `the title ${JSON.stringify(job.title)} is listed:\n${body}`)
        assert.ok(body.includes(`href="${html(job.url)}"`), `the link ${job.url} is listed`)
      }

      mkdirSync(ARTIFACTS, { recursive: true })
      const s = await chromium(url('ui', '/'), [`--screenshot=${SCREENSHOT}`, '--window-size=1200,800'])
      assert.equal(s.exitCode, 0, show(s))
      const png = readFileSync(SCREENSHOT)
      assert.ok(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), `${SCREENSHOT} is not a PNG`)
      assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [1200, 800], 'the screenshot is 1200x800')
      assert.ok(statSync(SCREENSHOT).mtimeMs > Date.now() - 600_000, 'the screenshot is new')
    })
  })

  test("the flow runs are visible in the Prefect UI of the running server (its Runs page in Chromium); a screenshot is saved", async (t) => {
    await step(t, 'the Prefect UI', async () => {
      const runs = await postJson<{ id: string; name: string }[]>(url('prefect', '/api/flow_runs/filter'), {})
      assert.equal(runs.length, 6, `two scraping_flow runs with two subflow runs each: ${JSON.stringify(runs.map((r) => r.name))}`)
      // The list of runs is only drawn with a window (it is virtualised), and the app makes many
      // requests before it: a longer virtual-time budget than the jobs page needs. Even so a render
      // sometimes comes out before the list does: it is asked again, a few times. The DOM and the
      // screenshot come from the same render, so the screenshot kept is one that shows the list.
      const lists = (dom: string) => runs.every((run) => dom.includes(`href="/runs/flow-run/${run.id}"`) && dom.includes(`<span>${run.name}</span>`))
      const shot = join(dir, 'prefect-runs.png')
      let dom = ''
      for (let attempt = 1; attempt <= 5 && !lists(dom); attempt++) {
        const r = await chromium(url('prefect', '/runs'), ['--dump-dom', `--screenshot=${shot}`, '--window-size=1400,1000'], attempt === 1 ? 15_000 : 30_000)
        assert.equal(r.exitCode, 0, show(r))
        dom = r.stdout
      }
      mkdirSync(ARTIFACTS, { recursive: true })
      const saved = join(ARTIFACTS, 'example-prefect-runs.html')
      if (!lists(dom)) writeFileSync(saved, dom)
      for (const run of runs) {
        assert.ok(dom.includes(`href="/runs/flow-run/${run.id}"`), `the Runs page links flow run ${run.name} (${run.id}); the page as rendered is in ${saved}`)
        assert.ok(dom.includes(`<span>${run.name}</span>`), `the Runs page names flow run ${run.name}; the page as rendered is in ${saved}`)
      }
      copyFileSync(shot, join(ARTIFACTS, 'example-prefect-runs.png'))
    })
  })

  test('pulpo down: exit 0, and no process of the project is left', async (t) => {
    if (!existsSync(join(dir, '.pulpo'))) return t.skip('nothing was brought up')
    rememberState()
    const r = await pulpo(['down'])
    downDone = r.exitCode === 0
    assert.equal(r.exitCode, 0, `${show(r)}\n${logs()}`)
    assertNoStackTrace(r)
    const left = await waitForNoLeftovers()
    assert.deepEqual(left, [], 'processes left behind')
    if (!broken) assert.equal(recorded.size, 8, `state.json named the supervisor and seven services: ${JSON.stringify([...recorded])}`)
    for (const [name, port] of Object.entries(ports)) assert.equal(await listening(port), false, `${name}'s port ${port} is still open`)
  })
})
