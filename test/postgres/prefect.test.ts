/**
 * Prefect's server on a postgres service (`database: pg`): the server's data is in postgres (not
 * SQLite), and two sibling subflows that each sleep 1.5 s run side by side — Prefect recorded
 * their starts less than 0.3 s apart (the issue's own criterion). With SQLite one of the two
 * concurrent subflow-run creations is refused (503, "database is locked") and retried ~2 s later.
 */
import assert from 'node:assert/strict'
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { execa } from 'execa'
import { BIN, removeDir, ROOT, show, stateDir, type Run } from '../cli/helpers.js'
import { ensureBinary, freePorts, query, requireServer } from './helpers.js'

const FIXTURE = join(ROOT, 'test', 'fixtures', 'postgres', 'siblings')
const VENV_PYTHON = join(ROOT, '.venv', 'bin', 'python')
const PASSWORD = 'pulpo-test'

interface FlowRun {
  id: string
  flow_id: string
  start_time: string | null
  state_type: string
}

requireServer()
before(ensureBinary)

describe('Prefect on a postgres service', { timeout: 600_000 }, () => {
  let dir: string
  let pgPort: number
  let prefectPort: number
  const api = () => `http://127.0.0.1:${prefectPort}/api`
  const run = async (args: string[]): Promise<Run> => {
    const r = await execa(BIN, args, { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PULPO_PYTHON: VENV_PYTHON, PREFECT_HOME: join(dir, '.prefect-home') }, extendEnv: false, reject: false, stdin: 'ignore', timeout: 300_000 })
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) }
  }
  const post = async <T>(path: string, body: unknown): Promise<T> => {
    const res = await fetch(`${api()}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    assert.ok(res.ok, `POST ${path}: HTTP ${res.status}`)
    return (await res.json()) as T
  }

  before(async () => {
    assert.ok(existsSync(VENV_PYTHON), `${VENV_PYTHON} is missing: run scripts/setup-python.sh`)
    dir = mkdtempSync(join(tmpdir(), 'pulpo-pg-prefect-'))
    chmodSync(dir, 0o755)
    cpSync(FIXTURE, dir, { recursive: true })
    ;[pgPort, prefectPort] = await freePorts(2)
    const yaml = join(dir, 'pulpo.yaml')
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('port: 5432', `port: ${pgPort}`).replace('port: 4200', `port: ${prefectPort}`))
  })
  after(async () => {
    const r = await run(['down', '--volumes'])
    removeDir(dir)
    assert.equal(r.exitCode, 0, show(r))
  })

  test('up starts postgres first, creates the prefect database, and the server keeps its data there', async () => {
    const r = await run(['up'])
    assert.equal(r.exitCode, 0, show(r))
    assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD), show(r))
    assert.match(r.stdout, /database pg\/prefect created/)
    const tables = await query(pgPort, PASSWORD, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", 'prefect')
    assert.ok(Number(tables[0][0]) > 10, `Prefect's tables in postgres: ${tables[0][0]}`)
    assert.equal(existsSync(stateDir(dir, 'data', 'prefect', 'prefect.db')), false, 'no SQLite database')
    const config = await run(['config'])
    assert.match(config.stdout, /PREFECT_API_DATABASE_CONNECTION_URL: postgresql\+asyncpg:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/prefect/)
  })

  test('two sibling subflows that each sleep 1.5 s overlap: their starts are less than 0.3 s apart', async () => {
    const r = await run(['prefect', 'run', 'sib_flow', '--json'])
    assert.equal(r.exitCode, 0, show(r))
    const out = JSON.parse(r.stdout) as { state: string; flow_run_id: string; result: Record<'left' | 'right', { start: number; end: number }> & { join: { start: number } } }
    assert.equal(out.state, 'COMPLETED')
    const { left, right } = out.result
    // As Prefect recorded them: the two child flow runs of the flow's run.
    const children = await post<FlowRun[]>('/flow_runs/filter', { flow_runs: { parent_flow_run_id: { any_: [out.flow_run_id] } } })
    assert.equal(children.length, 2, JSON.stringify(children))
    const starts = children.map((c) => Date.parse(c.start_time!)).sort((a, b) => a - b)
    const apart = (starts[1] - starts[0]) / 1000
    const opsApart = Math.abs(left.start - right.start)
    console.log(`sibling subflow runs started at ${children.map((c) => c.start_time).sort().join(' and ')} (${apart.toFixed(3)} s apart); the operations started at ${left.start.toFixed(3)} and ${right.start.toFixed(3)} (${opsApart.toFixed(3)} s apart)`)
    // Overlap: each started before the other ended; order: the join after both.
    assert.ok(left.start < right.end && right.start < left.end, `left [${left.start}, ${left.end}] and right [${right.start}, ${right.end}] did not overlap`)
    assert.ok(out.result.join.start >= left.end && out.result.join.start >= right.end)
    assert.ok(apart < 0.3, `the sibling subflow runs started ${apart.toFixed(3)} s apart`)
  })
})
