#!/usr/bin/env node
// kind: postgres, locally. Reported (no targets in the issue):
//  1. `pulpo up` of a project with one postgres service until it is ready (the command returns once
//     it accepts connections and its database exists): the first up (initdb into a fresh
//     .pulpo/data/pg) and a warm up (after `pulpo down`, persist: true).
//  2. `pulpo prefect run scraping_flow` end to end (test/fixtures/prefect/pipeline: two sibling
//     subflows, then a merge) against a Prefect server on SQLite and against one on postgres, in the
//     same run, alternating; and how far apart Prefect recorded the starts of the two sibling
//     subflow runs each time.
//
//   node bench/postgres.mjs [--runs 5] [--flow-runs 8] [--bin dist/pulpo]
//
// Needs PostgreSQL's server binaries (scripts/setup-postgres.sh) and the venv with Prefect
// (scripts/setup-python.sh). Everything runs on free loopback ports in temporary directories,
// removed at the end (`pulpo down --volumes` first).
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { cpus, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fmt, load, stats, warnIfBusy } from './startup.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const option = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? process.argv[i + 1] : fallback
}
const RUNS = Number(option('--runs', 5))
const FLOW_RUNS = Number(option('--flow-runs', 8))
const BIN = resolve(option('--bin', join(root, 'dist', 'pulpo')))
const PYTHON = join(root, '.venv', 'bin', 'python')

function freePort() {
  return new Promise((ok) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => ok(port))
    })
  })
}

function project(files) {
  const dir = mkdtempSync(join(tmpdir(), 'pulpo-bench-pg-'))
  // The postgres user (pulpo runs the server as it under root) enters the directory.
  chmodSync(dir, 0o755)
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

const env = (dir) => ({ PATH: process.env.PATH, HOME: process.env.HOME ?? '/root', PULPO_PYTHON: PYTHON, PREFECT_HOME: join(dir, '.prefect-home') })

/** Wall-clock ms of one pulpo command (fails loudly), and its stdout. */
function timed(dir, args) {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(BIN, args, { cwd: dir, env: env(dir), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 })
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0) throw new Error(`pulpo ${args.join(' ')} in ${dir} exited ${r.status}: ${r.stdout}\n${r.stderr}`)
  return { ms, stdout: r.stdout }
}

const line = (label, ms) => {
  const s = stats(ms)
  console.log(`${label.padEnd(44)} median ${fmt(s.median)} ms   min ${fmt(s.min)}   max ${fmt(s.max)}   (${s.runs} runs)`)
}

async function upToReady() {
  const port = await freePort()
  const yaml = `version: 1\nproject: benchpg\nservices:\n  pg:\n    kind: postgres\n    port: ${port}\n    persist: true\n    databases: [app]\n    env: { POSTGRES_PASSWORD: bench-pw }\n`
  const first = []
  const warm = []
  for (let i = 0; i < RUNS; i++) {
    const dir = project({ 'pulpo.yaml': yaml })
    try {
      first.push(timed(dir, ['up']).ms)
      timed(dir, ['down'])
      warm.push(timed(dir, ['up']).ms)
      timed(dir, ['down', '--volumes'])
    } finally {
      spawnSync(BIN, ['down', '--volumes'], { cwd: dir, env: env(dir), stdio: 'ignore' })
      rmSync(dir, { recursive: true, force: true })
    }
  }
  line('pulpo up → postgres ready, first (initdb)', first)
  line('pulpo up → postgres ready, warm (after down)', warm)
}

/** POST JSON, retried: a busy server now and then closes a kept-alive connection. */
async function post(url, body) {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', connection: 'close' }, body: JSON.stringify(body) })
      return await res.json()
    } catch (e) {
      if (attempt >= 5) throw e
      await new Promise((r) => setTimeout(r, 500))
    }
  }
}

async function flowOnEach() {
  const fixture = join(root, 'test', 'fixtures', 'prefect', 'pipeline')
  const make = async (withPostgres) => {
    const dir = mkdtempSync(join(tmpdir(), 'pulpo-bench-flow-'))
    chmodSync(dir, 0o755)
    cpSync(fixture, dir, { recursive: true })
    const prefectPort = await freePort()
    let yaml = readFileSync(join(dir, 'pulpo.yaml'), 'utf8').replace(/port: 4200\b/, `port: ${prefectPort}`)
    if (withPostgres) {
      const pgPort = await freePort()
      yaml = yaml.replace(/\n  prefect:\n    kind: prefect\n/, `\n  pg:\n    kind: postgres\n    port: ${pgPort}\n    env: { POSTGRES_PASSWORD: bench-pw }\n  prefect:\n    kind: prefect\n    database: pg\n`)
      if (!yaml.includes('database: pg')) throw new Error('the fixture changed: cannot put its prefect service on postgres')
    }
    writeFileSync(join(dir, 'pulpo.yaml'), yaml)
    try {
      timed(dir, ['up', 'prefect'])
    } catch (e) {
      spawnSync(BIN, ['down', '--volumes'], { cwd: dir, env: env(dir), stdio: 'ignore' })
      rmSync(dir, { recursive: true, force: true })
      throw e
    }
    return { dir, api: `http://127.0.0.1:${prefectPort}/api`, name: withPostgres ? 'postgres' : 'SQLite' }
  }
  const sides = [await make(false), await make(true)]
  try {
    const ms = { SQLite: [], postgres: [] }
    const gaps = { SQLite: [], postgres: [] }
    for (let i = 0; i < FLOW_RUNS + 1; i++) {
      for (const side of i % 2 ? sides : [...sides].reverse()) {
        const r = timed(side.dir, ['prefect', 'run', 'scraping_flow', '--param', 'keywords=bench', '--json'])
        // The first run of each warms its server (and Python's caches): not counted.
        if (i === 0) continue
        ms[side.name].push(r.ms)
        const id = JSON.parse(r.stdout).flow_run_id
        const children = await post(`${side.api}/flow_runs/filter`, { flow_runs: { parent_flow_run_id: { any_: [id] } } })
        const starts = children.map((c) => Date.parse(c.start_time)).sort((a, b) => a - b)
        gaps[side.name].push(starts[1] - starts[0])
      }
    }
    for (const name of ['SQLite', 'postgres']) line(`scraping_flow end to end, Prefect on ${name}`, ms[name])
    for (const name of ['SQLite', 'postgres']) {
      const g = gaps[name]
      console.log(`sibling subflow starts apart, on ${name.padEnd(8)}        ${g.map((x) => (x / 1000).toFixed(3)).join(' ')} s (${g.filter((x) => x >= 300).length} of ${g.length} ≥ 0.3 s)`)
    }
  } finally {
    for (const s of sides) {
      spawnSync(BIN, ['down', '--volumes'], { cwd: s.dir, env: env(s.dir), stdio: 'ignore' })
      rmSync(s.dir, { recursive: true, force: true })
    }
  }
}

if (!existsSync(BIN)) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' })
const before = load()
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load ${before}`)
await upToReady()
await flowOnEach()
warnIfBusy(before, load())
