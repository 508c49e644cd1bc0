#!/usr/bin/env node
// Docker mode against Docker Compose itself. Targets: `pulpo up` from nothing ≤ 1.10 × `docker
// compose up -d --wait` on the same generated file + 0.3 s; `pulpo status` on a project of 20
// running containers no slower than `docker compose ps` on the same project.
//
//   node bench/docker.mjs [--runs 5] [--status-runs 10] [--only up|status] [--bin dist/pulpo]
//                         [--wait-load 1.5] [--max-wait 300] [--json]
//
// Needs a Docker engine, Compose v2 (`docker compose`, for `--wait`) and the offline base image
// local/python:bookworm: run scripts/setup-docker.sh first. The services run
// test/docker/programs/server.py in an image built from that base (removed at the end).
//
// The up project has 5 services with health gating: db (http probe) and cache (tcp probe); api
// waits for both to be healthy and has an http probe; web waits for api to be healthy (http
// probe); worker waits for api to be healthy and has no probe. Probes check every 500 ms (Docker
// runs the first check one interval after the start), so the critical path db → api → web holds
// three healthcheck intervals. Each timed run starts from nothing (the previous run's containers
// and network removed, untimed): `pulpo up` (PULPO_COMPOSE=v2), then, on the run_cache/
// docker-compose.yml pulpo generated, `docker compose -p P -f F up -d --wait`, which also returns
// once every service is healthy or running. The two alternate (the order flips each run) after one
// warm-up of each, so drifting load hits both alike.
//
// The status project has 20 services (http probes every 5 s), brought up once; then `pulpo status`,
// `pulpo status --json` and `docker compose ps` (what a user would run instead) on that project
// and its generated compose file are timed, interleaved (the order turns each run), after one
// warm-up of each. `--only status` skips the up comparison.
//
// Before the measured runs the script waits (up to --max-wait seconds) for the 1-minute load
// average to drop below --wait-load. Everything it creates (containers, networks, volumes, the
// image, temporary directories) is removed at the end, and checked to be gone.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fmt, load, stats, timeOnce, warnIfBusy } from './startup.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const option = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? process.argv[i + 1] : fallback
}
const RUNS = Number(option('--runs', 5))
const STATUS_RUNS = Number(option('--status-runs', 10))
const ONLY = option('--only', undefined)
if (ONLY !== undefined && ONLY !== 'up' && ONLY !== 'status') throw new Error('--only takes up or status')
const WAIT_LOAD = Number(option('--wait-load', 1.5))
const MAX_WAIT_S = Number(option('--max-wait', 300))
const PULPO = resolve(option('--bin', join(root, 'dist', 'pulpo')))
const JSON_OUT = process.argv.includes('--json')
const TARGET = { factor: 1.1, slackMs: 300 }
const BASE = 'local/python:bookworm'
const tag = process.pid.toString(36)
const IMAGE = `pulpo-bench/app:${tag}`

const say = (s) => (JSON_OUT ? process.stderr.write(s + '\n') : console.log(s))
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const sh = (file, args, opts = {}) => execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts })
const quiet = (file, args, opts = {}) => spawnSync(file, args, { stdio: 'ignore', ...opts })
// pulpo drives Compose v2 here, as the comparison does.
process.env.PULPO_COMPOSE = 'v2'

async function freePorts(n) {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise((res, rej) => {
    const s = net.createServer()
    s.once('error', rej)
    s.listen({ host: '127.0.0.1', port: 0 }, () => res(s))
  })))
  const ports = servers.map((s) => s.address().port)
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  return ports
}

const service = (name, port, extra = '') => `  ${name}:
    image: ${IMAGE}
    command: [python3, /app/server.py, ${name}]
    port: ${port}
    env: { PORT: "${port}" }
${extra}`

function upProject(name, [db, cache, api, web, worker]) {
  return `version: 1
project: ${name}
mode: docker
services:
${service('db', db, '    ready: { http: /health, interval: 500ms }\n')}${service('cache', cache, `    ready: { tcp: ${cache}, interval: 500ms }\n`)}${service('api', api, '    depends_on: { db: healthy, cache: healthy }\n    ready: { http: /health, interval: 500ms }\n')}${service('web', web, '    depends_on: { api: healthy }\n    ready: { http: /health, interval: 500ms }\n')}${service('worker', worker, '    depends_on: { api: healthy }\n')}`
}

// Checked every 5 s: Docker runs each check as a process in the container, and 20 of them every
// second loaded the two cores of the machine this was written on more than what is measured.
function statusProject(name, ports) {
  return `version: 1\nproject: ${name}\nmode: docker\nservices:\n${ports.map((p, i) => service(`s${String(i).padStart(2, '0')}`, p, '    ready: { http: /health, interval: 5s }\n')).join('')}`
}

function leftovers(project) {
  const label = `label=com.docker.compose.project=${project}`
  return [
    ...sh('docker', ['ps', '-aq', '--filter', label]).split('\n'),
    ...sh('docker', ['volume', 'ls', '-q', '--filter', label]).split('\n'),
    ...sh('docker', ['network', 'ls', '-q', '--filter', label]).split('\n'),
  ].filter(Boolean)
}

async function waitForQuiet() {
  if (!(WAIT_LOAD > 0)) return 0
  const t0 = Date.now()
  let said = 0
  while (loadavg()[0] >= WAIT_LOAD && Date.now() - t0 < MAX_WAIT_S * 1000) {
    if (Date.now() - said > 30_000) {
      say(`load average ${load()} ≥ ${WAIT_LOAD}: waiting for it to drop (up to ${Math.round((MAX_WAIT_S * 1000 - (Date.now() - t0)) / 1000)} s more)`)
      said = Date.now()
    }
    await sleep(2000)
  }
  return Math.round((Date.now() - t0) / 1000)
}

const row = (label, s, cpu) => `${label.padEnd(40)} ${fmt(s.median)} ${fmt(s.p90)} ${fmt(s.min)} ${fmt(s.max)}${cpu === undefined ? '' : ` ${fmt(cpu)}`}`
const header = (cpu) => `${''.padEnd(40)} ${'median'.padStart(7)} ${'p90'.padStart(7)} ${'min'.padStart(7)} ${'max'.padStart(7)}${cpu ? ` ${'cpu/run'.padStart(7)}` : ''}   (ms)`

async function main() {
  if (!existsSync(PULPO)) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' })
  if (quiet('docker', ['info']).status !== 0) throw new Error('no Docker daemon answers: run scripts/setup-docker.sh')
  if (quiet('docker', ['compose', 'version']).status !== 0) throw new Error('Compose v2 (`docker compose`) is needed for `up --wait`: run scripts/setup-docker.sh')
  if (quiet('docker', ['image', 'inspect', BASE]).status !== 0) throw new Error(`no ${BASE} image: run scripts/setup-docker.sh`)

  const work = mkdtempSync(join(tmpdir(), 'pulpo-bench-docker-'))
  const upName = `pb-up-${tag}`
  const stName = `pb-status-${tag}`
  const upDir = join(work, 'up')
  const stDir = join(work, 'status')
  const result = {}
  try {
    writeFileSync(join(work, 'Dockerfile'), `FROM ${BASE}\nCOPY server.py /app/server.py\n`)
    writeFileSync(join(work, 'server.py'), readFileSync(join(root, 'test', 'docker', 'programs', 'server.py')))
    sh('docker', ['build', '-q', '-t', IMAGE, work])
    execFileSync('mkdir', ['-p', upDir, stDir])
    writeFileSync(join(upDir, 'pulpo.yaml'), upProject(upName, await freePorts(5)))
    writeFileSync(join(stDir, 'pulpo.yaml'), statusProject(stName, await freePorts(20)))
    sh(PULPO, ['compile'], { cwd: upDir })
    const file = join(upDir, 'run_cache', 'docker-compose.yml')
    const engine = sh('docker', ['version', '--format', '{{.Server.Version}}']).trim()
    const composeVersion = sh('docker', ['compose', 'version', '--short']).trim()
    say(`docker mode: engine ${engine}, compose v2 ${composeVersion}, ${RUNS} runs each, pulpo ${PULPO}`)

    const report = []
    if (ONLY !== 'status') {
      const down = () => {
        quiet(PULPO, ['down', '--volumes'], { cwd: upDir })
        quiet('docker', ['compose', '-p', upName, '-f', file, 'down', '--volumes', '--remove-orphans'], { cwd: upDir })
        const left = leftovers(upName)
        if (left.length) throw new Error(`${upName} not clean before a run: ${left.join(' ')}`)
      }
      const tools = {
        pulpo: (cpu) => timeOnce(PULPO, ['up'], upDir, cpu),
        compose: (cpu) => timeOnce('docker', ['compose', '-p', upName, '-f', file, 'up', '-d', '--wait'], upDir, cpu),
      }
      // Warm-up (image layers, page cache), then the measured runs.
      for (const t of Object.values(tools)) {
        down()
        t()
      }
      const waited = await waitForQuiet()
      const before = load()
      const samples = { pulpo: [], compose: [] }
      const cpu = { pulpo: {}, compose: {} }
      for (let i = 0; i < RUNS; i++) {
        const order = i % 2 ? ['compose', 'pulpo'] : ['pulpo', 'compose']
        for (const name of order) {
          down()
          samples[name].push(tools[name](cpu[name]))
        }
        say(`  run ${i + 1}/${RUNS}: pulpo up ${samples.pulpo.at(-1).toFixed(0)} ms, docker compose up -d --wait ${samples.compose.at(-1).toFixed(0)} ms (load ${load()})`)
      }
      down()
      const after = load()
      const p = stats(samples.pulpo)
      const c = stats(samples.compose)
      const allowed = c.median * TARGET.factor + TARGET.slackMs
      const overhead = p.median - c.median
      result.up = {
        pulpo: p,
        compose: c,
        cpu_ms_per_run: { pulpo: cpu.pulpo.ms / RUNS, compose: cpu.compose.ms / RUNS },
        overhead_ms: overhead,
        overhead_pct: (overhead / c.median) * 100,
        allowed_ms: allowed,
        met: p.median <= allowed,
        load: { before, after },
        waited_s: waited,
      }

      report.push(() => {
        console.log(`\n5 services, health-gated (db, cache → api → web, worker), from nothing, ${RUNS} runs each`)
        console.log(header(true))
        console.log(row('pulpo up', p, result.up.cpu_ms_per_run.pulpo))
        console.log(row('docker compose up -d --wait', c, result.up.cpu_ms_per_run.compose))
        console.log(`overhead: ${overhead.toFixed(0)} ms (${result.up.overhead_pct.toFixed(1)} %); target ≤ 1.10 × ${c.median.toFixed(0)} + 300 = ${allowed.toFixed(0)} ms: ${result.up.met ? 'MET' : 'NOT MET'}`)
        console.log(`load average ${before} → ${after}${waited ? ` (waited ${waited} s for it to drop)` : ''}`)
        warnIfBusy(before, after)
      })
    }

    if (ONLY !== 'up') {
      // pulpo status on 20 running containers.
      const upSt = spawnSync(PULPO, ['up'], { cwd: stDir, encoding: 'utf8' })
      if (upSt.status !== 0) throw new Error(`pulpo up of the 20-service project failed: ${upSt.stderr}`)
      const running = sh('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${stName}`]).split('\n').filter(Boolean).length
      if (running !== 20) throw new Error(`expected 20 running containers, found ${running}`)
      const stFile = join(stDir, 'run_cache', 'docker-compose.yml')
      const status = { text: [], json: [], ps: [] }
      const stCpu = { text: {}, json: {}, ps: {} }
      const stTools = {
        text: (cpu) => timeOnce(PULPO, ['status'], stDir, cpu),
        json: (cpu) => timeOnce(PULPO, ['status', '--json'], stDir, cpu),
        ps: (cpu) => timeOnce('docker', ['compose', '-p', stName, '-f', stFile, 'ps'], stDir, cpu),
      }
      for (const t of Object.values(stTools)) t()
      const stWaited = await waitForQuiet()
      const stBefore = load()
      for (let i = 0; i < STATUS_RUNS; i++) {
        // The order turns each run, so neither always follows the other.
        const names = Object.keys(stTools)
        for (let k = 0; k < names.length; k++) {
          const name = names[(i + k) % names.length]
          status[name].push(stTools[name](stCpu[name]))
        }
      }
      const stAfter = load()
      const json = JSON.parse(sh(PULPO, ['status', '--json'], { cwd: stDir }))
      if (json.services.length !== 20 || json.services.some((s) => s.actual !== 'running')) throw new Error('status does not show 20 running services')
      result.status = {
        containers: running,
        text: stats(status.text),
        json: stats(status.json),
        compose_ps: stats(status.ps),
        cpu_ms_per_run: { text: stCpu.text.ms / STATUS_RUNS, json: stCpu.json.ms / STATUS_RUNS, compose_ps: stCpu.ps.ms / STATUS_RUNS },
        load: { before: stBefore, after: stAfter },
        waited_s: stWaited,
      }
      result.status.met = result.status.text.median <= result.status.compose_ps.median
      result.status.ratio = result.status.text.median / result.status.compose_ps.median
      report.push(() => {
        const st = result.status
        console.log(`\nstatus of ${running} running containers, ${STATUS_RUNS} runs each, interleaved`)
        console.log(header(true))
        console.log(row('pulpo status', st.text, st.cpu_ms_per_run.text))
        console.log(row('pulpo status --json', st.json, st.cpu_ms_per_run.json))
        console.log(row('docker compose ps', st.compose_ps, st.cpu_ms_per_run.compose_ps))
        console.log(`pulpo status / docker compose ps: ${st.ratio.toFixed(2)}× (medians); target ≤ 1: ${st.met ? 'MET' : 'NOT MET'}`)
        console.log(`load average ${stBefore} → ${stAfter}${stWaited ? ` (waited ${stWaited} s for it to drop)` : ''}`)
        warnIfBusy(stBefore, stAfter)
      })
    }
    result.engine = engine
    result.compose = composeVersion

    if (JSON_OUT) return console.log(JSON.stringify(result, null, 1))
    for (const r of report) r()
  } finally {
    for (const [dir, name] of [[upDir, upName], [stDir, stName]]) {
      if (existsSync(join(dir, 'pulpo.yaml'))) quiet(PULPO, ['down', '--volumes'], { cwd: dir })
      const file = join(dir, 'run_cache', 'docker-compose.yml')
      if (existsSync(file)) quiet('docker', ['compose', '-p', name, '-f', file, 'down', '--volumes', '--remove-orphans'])
    }
    quiet('docker', ['rmi', '-f', IMAGE])
    rmSync(work, { recursive: true, force: true })
    const left = [...leftovers(upName), ...leftovers(stName)]
    if (left.length) say(`warning: left behind: ${left.join(' ')}`)
  }
}

main().catch((e) => {
  console.error(`bench/docker.mjs: ${e.message}`)
  process.exit(1)
})
