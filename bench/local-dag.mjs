#!/usr/bin/env node
// Local mode against process-compose on a generated 50-service DAG of depth 8 whose services become
// ready after known delays. Targets: `pulpo up` from nothing ≤ 1.10 × the critical path + 0.3 s and
// no slower than process-compose on the same DAG; `pulpo up` with nothing changed ≤ 300 ms;
// `pulpo down` of the 50 ≤ 1 s. Also reported: the RSS of pulpo's supervisor next to
// process-compose's, with the 50 services running.
//
//   node bench/local-dag.mjs [--runs 5] [--noop-runs 5] [--bin dist/pulpo] [--pc FILE] [--no-pc]
//                            [--wait-load 1.5] [--max-wait 1200] [--seed 1] [--keep] [--json]
//
// Every service is `sleep D; echo ready; exec sleep 3600` through /bin/sh -c for both tools (no
// interpreter start-up to measure), with a per-service D of 0.10–0.70 s from a seeded generator, so
// the critical path (the longest chain of delays) is known. pulpo waits with `ready: { log: ready }`
// and `depends_on: {x: healthy}`; process-compose with `ready_log_line: ready` and
// `condition: process_log_ready`. Runs are interleaved (the order alternates) after one warm-up of
// each, and start from nothing: no supervisor or server, no state.
//
// process-compose is timed from `process-compose up -D` until its API (GET /processes on its Unix
// socket, polled every 20 ms) says every process is Ready. `project is-ready --wait`, which the
// issue suggests, is timed too, but it is not the comparison: it polls once a second, and it
// counts a process without a readiness probe (ready_log_line is not one) as ready once it runs,
// so it returns before the last services have printed their line.
//
// process-compose is built from the Go module proxy into ~/.cache/pulpo/ when missing. Before the
// measured runs the script waits (up to --max-wait seconds) for the 1-minute load average to drop
// below --wait-load, since wall-clock figures on 2 busy cores mean little; the load is printed per
// run and before/after. Everything it starts is stopped at the end, and checked to be gone.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { homedir, loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fmt, load, stats, warnIfBusy } from './startup.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
export const option = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? process.argv[i + 1] : fallback
}
export const flag = (name) => process.argv.includes(name)
const RUNS = Number(option('--runs', 5))
const NOOP_RUNS = Number(option('--noop-runs', 5))
const SEED = Number(option('--seed', 1))
const WAIT_LOAD = Number(option('--wait-load', 1.5))
const MAX_WAIT_S = Number(option('--max-wait', 1200))
export const PULPO = resolve(option('--bin', join(root, 'dist', 'pulpo')))
const JSON_OUT = flag('--json')

// go.mod spells the module's owner in lower case; `go install` with the repository's spelling fails.
const PC_MODULE = 'github.com/f1bonacc1/process-compose'
const PC_VERSION = 'v1.85.0'
const POLL_MS = 20
const LEVELS = [5, 7, 7, 7, 7, 6, 6, 5] // 50 services, depth 8
const TARGET = { cpFactor: 1.1, cpSlackMs: 300, noopMs: 300, downMs: 1000 }

export const say = (s) => (JSON_OUT ? process.stderr.write(s + '\n') : console.log(s))
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const now = () => Number(process.hrtime.bigint()) / 1e6

/** A small seeded PRNG (mulberry32), so the DAG is the same on every machine. */
function prng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * The DAG: LEVELS.length levels; each service below the first depends on one service of the level
 * just above (so the depth is the number of levels) and on up to two more from any level above.
 */
export function generateDag(seed = SEED) {
  const rand = prng(seed)
  const pick = (list) => list[Math.floor(rand() * list.length)]
  const services = []
  LEVELS.forEach((size, level) => {
    const above = services.filter((s) => s.level === level - 1)
    const earlier = services.filter((s) => s.level < level)
    const made = []
    for (let i = 0; i < size; i++) {
      const deps = new Set()
      if (level > 0) {
        deps.add(pick(above).name)
        const extra = Math.floor(rand() * 3)
        for (let k = 0; k < extra; k++) deps.add(pick(earlier).name)
      }
      const delayMs = 100 + 50 * Math.floor(rand() * 13)
      made.push({ name: `s${String(services.length + made.length).padStart(2, '0')}`, level, delayMs, deps: [...deps].sort() })
    }
    services.push(...made)
  })
  // Ready time of each service if starting cost nothing: its delay after its last dependency.
  const readyAt = new Map()
  const via = new Map()
  for (const s of services) {
    const last = s.deps.reduce((best, d) => (best === undefined || readyAt.get(d) > readyAt.get(best) ? d : best), undefined)
    readyAt.set(s.name, (last ? readyAt.get(last) : 0) + s.delayMs)
    via.set(s.name, last)
  }
  const end = services.reduce((a, b) => (readyAt.get(b.name) > readyAt.get(a.name) ? b : a)).name
  const path = []
  for (let n = end; n; n = via.get(n)) path.unshift(n)
  return { services, criticalPathMs: readyAt.get(end), path, edges: services.reduce((n, s) => n + s.deps.length, 0) }
}

const command = (s) => `sleep ${(s.delayMs / 1000).toFixed(2)}; echo ready; exec sleep 3600`

export function pulpoYaml(dag) {
  const out = ['# generated by bench/local-dag.mjs', 'version: 1', 'project: dag50', 'mode: local', 'services:']
  for (const s of dag.services) {
    out.push(`  ${s.name}:`, `    command: "${command(s)}"`, '    ready: { log: ready }')
    if (s.deps.length) out.push(`    depends_on: { ${s.deps.map((d) => `${d}: healthy`).join(', ')} }`)
  }
  return out.join('\n') + '\n'
}

export function processComposeYaml(dag) {
  // The same shell as pulpo's for a string command (process-compose's default is bash).
  const out = ['# generated by bench/local-dag.mjs', 'version: "0.5"', 'shell: { shell_command: /bin/sh, shell_argument: -c }', 'processes:']
  for (const s of dag.services) {
    out.push(`  ${s.name}:`, `    command: "${command(s)}"`, '    ready_log_line: ready')
    if (s.deps.length) out.push(`    depends_on: { ${s.deps.map((d) => `${d}: { condition: process_log_ready }`).join(', ')} }`)
  }
  return out.join('\n') + '\n'
}

export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100

/** CPU ms (user + system) from a /proc/<pid>/stat: the process's own, or its reaped children's. */
export function cpuMs(pid = 'self', children = false) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return ((Number(f[children ? 13 : 11]) + Number(f[children ? 14 : 12])) * 1000) / CLK_TCK
}

/**
 * Runs a command to its end: wall-clock ms, exit code, output, and its CPU ms (meaningful when it
 * is the only child running: it is read from what this process's reaped children used).
 */
export function run(file, args, cwd) {
  return new Promise((resolve, reject) => {
    const c0 = cpuMs('self', true)
    const t0 = now()
    const child = spawn(file, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.once('error', reject)
    child.once('close', (code) => resolve({ ms: now() - t0, code, stdout, stderr, cpu: cpuMs('self', true) - c0 }))
  })
}

export function must(r, what) {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stdout}\n${r.stderr}`)
  return r
}

/** VmRSS and RssAnon of a process, in MiB. */
function rss(pid) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN)
  return { rssMiB: kb('VmRSS') / 1024, anonMiB: kb('RssAnon') / 1024 }
}

/** Live processes (not zombies) whose process group is one of `pgids`, or whose pid is in `pids`. */
export function survivors(pids, pgids = pids) {
  const out = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let text
    try {
      text = readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue
    }
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ')
    if (f[0] === 'Z' || f[0] === 'X') continue
    if (pids.includes(Number(entry)) || pgids.includes(Number(f[2]))) out.push(Number(entry))
  }
  return out
}

export function killAll(pids) {
  for (const p of pids) {
    for (const target of [-p, p]) {
      try {
        process.kill(target, 'SIGKILL')
      } catch {}
    }
  }
}

// What runs now, for the cleanup on any exit. Pids are dropped once seen gone, so a pid that the
// system reuses later is never signalled.
export const live = { pids: new Set(), pulpoDirs: new Set(), pc: new Map() }
export const forget = (pids) => pids.forEach((p) => live.pids.delete(p))

// ---------------------------------------------------------------------------------------- pulpo

async function pulpoCycle(dir, noopRuns) {
  rmSync(join(dir, '.pulpo'), { recursive: true, force: true })
  live.pulpoDirs.add(dir)
  const up = must(await run(PULPO, ['up'], dir), 'pulpo up')
  const status = JSON.parse(must(await run(PULPO, ['status', '--json'], dir), 'pulpo status').stdout)
  const notReady = status.services.filter((s) => s.actual !== 'running' || s.health !== 'healthy')
  if (status.services.length !== 50 || notReady.length) throw new Error(`after pulpo up: ${notReady.map((s) => `${s.name} ${s.actual}/${s.health}`).join(', ')}`)
  const pids = status.services.map((s) => s.pid)
  pids.forEach((p) => live.pids.add(p))
  const supervisor = JSON.parse(readFileSync(join(dir, '.pulpo', 'dag50', 'state.json'), 'utf8')).supervisor.pid
  live.pids.add(supervisor)
  const mem = rss(supervisor)
  const supervisorCpu = cpuMs(supervisor)
  // For scale, interleaved with it: what any command costs (start-up) and what loading this
  // pulpo.yaml adds (validate), so the part of `up` that is the local backend's shows.
  const noop = []
  const version = []
  const validate = []
  const cpu = { up: up.cpu, noop: 0, version: 0, validate: 0, supervisorUp: supervisorCpu }
  for (let i = 0; i < noopRuns; i++) {
    const r = must(await run(PULPO, ['up'], dir), 'pulpo up (nothing changed)')
    if (!/up to date/.test(r.stdout)) throw new Error(`pulpo up changed something on the second run:\n${r.stdout}`)
    noop.push(r.ms)
    cpu.noop += r.cpu / noopRuns
    for (const [name, list, args] of [['version', version, ['--version']], ['validate', validate, ['validate']]]) {
      const v = must(await run(PULPO, args, dir), `pulpo ${args[0]}`)
      list.push(v.ms)
      cpu[name] += v.cpu / noopRuns
    }
  }
  const down = must(await run(PULPO, ['down'], dir), 'pulpo down')
  live.pulpoDirs.delete(dir)
  const left = survivors([...pids, supervisor], pids)
  killAll(left)
  forget([...pids, supervisor])
  cpu.down = down.cpu
  return { upMs: up.ms, noopMs: noop, versionMs: version, validateMs: validate, downMs: down.ms, mem, cpu, left }
}

// ------------------------------------------------------------------------------ process-compose

/** process-compose's API over its Unix socket: GET a path, parsed JSON; undefined when it does not answer. */
export function pcGet(sock, path) {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: sock, path, timeout: 2000 }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (body += d))
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? JSON.parse(body) : undefined)
        } catch {
          resolve(undefined)
        }
      })
    })
    req.on('error', () => resolve(undefined))
    req.on('timeout', () => req.destroy())
  })
}

/** The server a detached `up` left behind: the process whose arguments name this socket. */
export function pcServerPid(sock) {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
      if (argv.includes('up') && argv.includes(sock)) return Number(entry)
    } catch {}
  }
  return undefined
}

/**
 * Starts process-compose detached on the project in `dir`: once `up -D` has returned, its socket
 * and common flags, and `ready`, which resolves (ms since the start) once its API says all 50 are Ready.
 */
export async function pcUp(pc, dir) {
  const sock = join(dir, 'pc.sock')
  const common = ['-U', '-u', sock, '-L', join(dir, 'pc.log')]
  rmSync(sock, { force: true })
  live.pc.set(sock, { pc, common })
  const t0 = now()
  const ready = (async () => {
    for (;;) {
      const states = await pcGet(sock, '/processes')
      if (states?.data?.length === 50 && states.data.every((s) => s.is_ready === 'Ready')) return now() - t0
      await sleep(POLL_MS)
    }
  })()
  // --ordered-shutdown: stop dependents first, as pulpo down does.
  must(await run(pc, ['up', '-D', '-f', join(dir, 'process-compose.yaml'), '--ordered-shutdown', ...common], dir), 'process-compose up -D')
  return { sock, common, t0, ready, detachedMs: now() - t0 }
}

async function pcCycle(pc, dir) {
  const { sock, common, t0, ready, detachedMs } = await pcUp(pc, dir)
  const isReady = run(pc, ['project', 'is-ready', '--wait', ...common], dir).then((r) => (must(r, 'process-compose project is-ready'), now() - t0))
  const [readyMs, isReadyMs] = await Promise.all([ready, isReady])
  const server = pcServerPid(sock)
  const pids = (await pcGet(sock, '/processes')).data.map((s) => s.pid)
  ;[server, ...pids].forEach((p) => live.pids.add(p))
  const mem = rss(server)
  const cpu = { serverUp: cpuMs(server) }
  const t1 = now()
  must(await run(pc, ['down', ...common], dir), 'process-compose down')
  const downMs = now() - t1
  // The server may still be on its way out when `down` returns.
  for (let i = 0; i < 100 && survivors([server], []).length; i++) await sleep(20)
  const downExitedMs = now() - t1
  live.pc.delete(sock)
  const left = survivors([server, ...pids], pids)
  killAll(left)
  forget([server, ...pids])
  return { readyMs, isReadyMs, detachedMs, downMs, downExitedMs, mem, cpu, left }
}

/** Builds process-compose into ~/.cache/pulpo/ unless it is there. */
export function ensureProcessCompose() {
  const given = option('--pc', undefined)
  if (given) return resolve(given)
  const dir = join(homedir(), '.cache', 'pulpo', `process-compose-${PC_VERSION}`)
  const bin = join(dir, 'process-compose')
  if (existsSync(bin)) return bin
  mkdirSync(dir, { recursive: true })
  const ldflags = `-ldflags=-X ${PC_MODULE}/src/config.Version=${PC_VERSION}`
  say(`installing process-compose ${PC_VERSION} into ${dir} (go install; a few minutes the first time)`)
  try {
    execFileSync('go', ['install', ldflags, `${PC_MODULE}@${PC_VERSION}`], { env: { ...process.env, GOBIN: dir }, stdio: ['ignore', 'inherit', 'inherit'] })
  } catch {
    // `go install m@v` also reads the module's version list (for deprecation notices); a proxy that
    // serves the version but not the list fails it. Building the downloaded module works there.
    say('go install failed; building the downloaded module instead')
    const mod = JSON.parse(execFileSync('go', ['mod', 'download', '-json', `${PC_MODULE}@${PC_VERSION}`], { encoding: 'utf8' }))
    execFileSync('go', ['build', ldflags, '-o', bin, '.'], { cwd: mod.Dir, stdio: ['ignore', 'inherit', 'inherit'] })
  }
  return bin
}

// ------------------------------------------------------------------------------------- the run

export async function waitForQuiet() {
  if (!(WAIT_LOAD > 0)) return 0
  const t0 = Date.now()
  let told = 0
  while (loadavg()[0] >= WAIT_LOAD && Date.now() - t0 < MAX_WAIT_S * 1000) {
    if (Date.now() - told > 60_000) {
      say(`load average ${load()} ≥ ${WAIT_LOAD}: waiting for it to drop (up to ${Math.round((MAX_WAIT_S * 1000 - (Date.now() - t0)) / 1000)} s more)`)
      told = Date.now()
    }
    await sleep(5000)
  }
  return (Date.now() - t0) / 1000
}

export function cleanup() {
  for (const dir of live.pulpoDirs) {
    try {
      execFileSync(PULPO, ['down'], { cwd: dir, stdio: 'ignore', timeout: 30_000 })
    } catch {}
  }
  for (const [sock, { pc, common }] of live.pc) {
    const server = pcServerPid(sock)
    try {
      if (server) execFileSync(pc, ['down', ...common], { stdio: 'ignore', timeout: 30_000 })
    } catch {}
    if (server) killAll(survivors([server], []))
  }
  killAll(survivors([...live.pids], [...live.pids]))
}

/** Builds dist/pulpo when it is missing (a --bin that names no file is an error). */
export function ensurePulpo() {
  if (existsSync(PULPO)) return
  if (option('--bin', undefined)) throw new Error(`${PULPO}: no such file`)
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })
}

/**
 * A temporary directory with the DAG's project for each tool (pulpo/pulpo.yaml and
 * pc/process-compose.yaml). Ctrl-C stops whatever runs and removes it; so does `close()`.
 */
export function workspace(prefix) {
  const dag = generateDag()
  const work = mkdtempSync(join(tmpdir(), prefix))
  const pulpoDir = join(work, 'pulpo')
  const pcDir = join(work, 'pc')
  mkdirSync(pulpoDir)
  mkdirSync(pcDir)
  writeFileSync(join(pulpoDir, 'pulpo.yaml'), pulpoYaml(dag))
  writeFileSync(join(pcDir, 'process-compose.yaml'), processComposeYaml(dag))
  const removeWork = () => (flag('--keep') ? say(`kept ${work}`) : rmSync(work, { recursive: true, force: true }))
  const onSignal = () => {
    cleanup()
    removeWork()
    process.exit(130)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const close = () => {
    cleanup()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    removeWork()
  }
  return { dag, pulpoDir, pcDir, close }
}

async function main() {
  ensurePulpo()
  const pc = flag('--no-pc') ? undefined : ensureProcessCompose()
  const { dag, pulpoDir, pcDir, close } = workspace('pulpo-bench-dag-')
  try {
    const cp = dag.criticalPathMs
    const delays = dag.services.map((s) => s.delayMs)
    say(`DAG (seed ${SEED}): ${dag.services.length} services in ${LEVELS.length} levels (depth ${LEVELS.length}), ${dag.edges} depends_on edges, delays ${Math.min(...delays)}–${Math.max(...delays)} ms`)
    say(`critical path ${(cp / 1000).toFixed(2)} s: ${dag.path.join(' → ')}`)
    const waited = await waitForQuiet()
    if (waited > 1) say(`waited ${waited.toFixed(0)} s for the load average to drop: now ${load()}`)
    const loadBefore = load()
    const cycles = { pulpo: [], pc: [] }
    const once = async (who, record) => {
      const r = who === 'pulpo' ? await pulpoCycle(pulpoDir, record ? NOOP_RUNS : 1) : await pcCycle(pc, pcDir)
      if (r.left.length) say(`warning: ${who} left ${r.left.length} process(es) running after down; killed them`)
      if (record) cycles[who].push({ ...r, load: loadavg()[0] })
      return r
    }
    const order = pc ? ['pulpo', 'pc'] : ['pulpo']
    say('warm-up: one cycle of each')
    for (const who of order) await once(who, false)
    for (let i = 0; i < RUNS; i++) {
      for (const who of i % 2 ? [...order].reverse() : order) {
        const r = await once(who, true)
        const line = who === 'pulpo'
          ? `pulpo up ${fmt(r.upMs)} ms, nothing changed ${fmt(stats(r.noopMs).median)} ms, down ${fmt(r.downMs)} ms`
          : `process-compose ready ${fmt(r.readyMs)} ms (is-ready --wait ${fmt(r.isReadyMs)} ms), down ${fmt(r.downExitedMs)} ms`
        say(`run ${i + 1}/${RUNS} ${line}  (load ${load()})`)
      }
    }
    const loadAfter = load()

    const pick = (who, key) => stats(cycles[who].flatMap((c) => c[key]))
    const up = pick('pulpo', 'upMs')
    const noop = pick('pulpo', 'noopMs')
    const version = pick('pulpo', 'versionMs')
    const validate = pick('pulpo', 'validateMs')
    const down = pick('pulpo', 'downMs')
    const mem = stats(cycles.pulpo.map((c) => c.mem.rssMiB))
    const memAnon = stats(cycles.pulpo.map((c) => c.mem.anonMiB))
    // Mean CPU ms per run (clock ticks of 10 ms: only means over runs say anything).
    const meanCpu = (who, key) => cycles[who].reduce((a, c) => a + c.cpu[key], 0) / cycles[who].length
    const cpu = { up: meanCpu('pulpo', 'up'), noop: meanCpu('pulpo', 'noop'), validate: meanCpu('pulpo', 'validate'), version: meanCpu('pulpo', 'version'), down: meanCpu('pulpo', 'down'), supervisorUp: meanCpu('pulpo', 'supervisorUp'), processComposeUp: pc ? meanCpu('pc', 'serverUp') : undefined }
    const upTarget = TARGET.cpFactor * cp + TARGET.cpSlackMs
    const pcr = pc && {
      ready: pick('pc', 'readyMs'),
      isReady: pick('pc', 'isReadyMs'),
      detached: pick('pc', 'detachedMs'),
      down: pick('pc', 'downExitedMs'),
      mem: stats(cycles.pc.map((c) => c.mem.rssMiB)),
      memAnon: stats(cycles.pc.map((c) => c.mem.anonMiB)),
    }
    const result = {
      dag: { services: dag.services.length, depth: LEVELS.length, edges: dag.edges, seed: SEED, criticalPathMs: cp, criticalPath: dag.path },
      runs: RUNS,
      noopRunsPerRun: NOOP_RUNS,
      loadavg: [Number(loadBefore), Number(loadAfter)],
      waitedForLoadS: waited,
      processCompose: pc ? { version: PC_VERSION, ...pcr } : undefined,
      pulpo: { up, noop, down, version, validate, supervisorRssMiB: mem, supervisorAnonMiB: memAnon },
      cpuMs: cpu,
      targets: {
        upVsCriticalPath: { targetMs: upTarget, pass: up.median <= upTarget },
        upVsProcessCompose: pc ? { ratio: up.median / pcr.ready.median, pass: up.median <= pcr.ready.median } : undefined,
        noop: { targetMs: TARGET.noopMs, pass: noop.median <= TARGET.noopMs },
        down: { targetMs: TARGET.downMs, pass: down.median <= TARGET.downMs },
      },
    }
    if (JSON_OUT) {
      console.log(JSON.stringify(result, null, 2))
      return
    }
    const row = (name, s) => console.log(`${name.padEnd(44)} ${fmt(s.median)} ${fmt(s.p90)} ${fmt(s.min)} ${fmt(s.max)}`)
    const verdict = (ok) => (ok ? 'PASS' : 'MISS')
    console.log(`\n${RUNS} interleaved runs each (ms, wall clock); load average ${loadBefore} → ${loadAfter}`)
    console.log(`${'subject'.padEnd(44)} ${'median'.padStart(7)} ${'p90'.padStart(7)} ${'min'.padStart(7)} ${'max'.padStart(7)}`)
    row('pulpo up (from nothing, until all ready)', up)
    if (pc) {
      row('process-compose (up -D until all Ready)', pcr.ready)
      row('process-compose (project is-ready --wait)', pcr.isReady)
    }
    row(`pulpo up, nothing changed (×${NOOP_RUNS} per run)`, noop)
    row('  for scale: pulpo validate (same file)', validate)
    row('  for scale: pulpo --version', version)
    row('pulpo down (50 services)', down)
    if (pc) row('process-compose down (until it exited)', pcr.down)
    console.log(`critical path ${(cp / 1000).toFixed(2)} s; pulpo up ${(up.median / 1000).toFixed(2)} s = ${(up.median / cp).toFixed(3)} × CP (overhead ${((up.median - cp) / 1000).toFixed(2)} s)`)
    console.log(`target pulpo up ≤ ${TARGET.cpFactor} × CP + ${TARGET.cpSlackMs / 1000} s = ${(upTarget / 1000).toFixed(2)} s: ${verdict(result.targets.upVsCriticalPath.pass)}`)
    if (pc) console.log(`ratio pulpo/process-compose (medians): ${result.targets.upVsProcessCompose.ratio.toFixed(3)}×  target ≤ 1: ${verdict(result.targets.upVsProcessCompose.pass)}  (process-compose: ${(pcr.ready.median / cp).toFixed(3)} × CP)`)
    console.log(`target pulpo up with nothing changed ≤ ${TARGET.noopMs} ms: ${verdict(result.targets.noop.pass)}`)
    console.log(`target pulpo down ≤ ${TARGET.downMs} ms: ${verdict(result.targets.down.pass)}`)
    console.log(`RSS with 50 services running (median): pulpo supervisor ${mem.median.toFixed(1)} MiB (anonymous ${memAnon.median.toFixed(1)} MiB)${pc ? `, process-compose ${pcr.mem.median.toFixed(1)} MiB (anonymous ${pcr.memAnon.median.toFixed(1)} MiB)` : ''}`)
    console.log(`CPU ms per run (mean; barely moved by competing load): pulpo up CLI ${cpu.up.toFixed(0)} + supervisor ${cpu.supervisorUp.toFixed(0)}${pc ? `, process-compose ${cpu.processComposeUp.toFixed(0)} (server, until all Ready)` : ''}; up with nothing changed ${cpu.noop.toFixed(0)}, validate ${cpu.validate.toFixed(0)}, --version ${cpu.version.toFixed(0)}, down CLI ${cpu.down.toFixed(0)}`)
    warnIfBusy(loadBefore, loadAfter)
  } finally {
    close()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
