#!/usr/bin/env node
// Start-up of the release binary: `dist/pulpo --version` against a Bun hello-world binary built by
// the same Bun with the same flags. Target: pulpo's median ≤ 3× hello's.
//
//   node bench/startup.mjs [--runs 30] [--warmup 5] [--bin dist/pulpo] [--json]
//
// Self-contained (node and the project's own Bun; no hyperfine needed). Runs are interleaved
// (hello, pulpo, hello, pulpo...) so drift in machine load hits both alike, and every process runs
// in an empty temporary directory. Builds dist/pulpo first if it is missing.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}
const RUNS = arg('--runs', 30)
const WARMUP = arg('--warmup', 5)
const TARGET = 3

export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b)
  const q = (p) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]
  return { runs: s.length, min: s[0], median: q(0.5), p90: q(0.9), max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / s.length }
}

/**
 * CPU time (user + system) of this process's finished children, in ms, from /proc/self/stat
 * (Linux; undefined elsewhere). It counts in clock ticks (10 ms), so only its mean over many runs
 * means anything; unlike wall-clock time it hardly changes when other work competes for the CPUs.
 */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100
  } catch {
    return 100
  }
})()
function childrenCpuMs() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(f[13]) + Number(f[14])) * 1000) / CLK_TCK
  } catch {
    return undefined
  }
}

/**
 * Wall-clock milliseconds of one run; fails loudly if the command does. With `cpu`, adds the run's
 * CPU time to cpu.ms.
 */
export function timeOnce(file, args, cwd, cpu) {
  const c0 = cpu && childrenCpuMs()
  const t0 = process.hrtime.bigint()
  const r = spawnSync(file, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] })
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr}`)
  if (cpu) {
    const c1 = childrenCpuMs()
    cpu.ms = c0 === undefined || c1 === undefined ? undefined : (cpu.ms ?? 0) + c1 - c0
  }
  return ms
}

/** Mean CPU ms per run, or '-' where it cannot be measured. */
export const cpuPerRun = (cpu, runs) => (cpu.ms === undefined ? '      -' : fmt(cpu.ms / runs))

/**
 * A Bun binary of `source`, built into `work` with the options scripts/bundle.ts gives Bun.build
 * (splitting aside: one module has nothing to split), so a difference from dist/pulpo is pulpo's own code.
 */
export function buildLikePulpo(work, name, source) {
  writeFileSync(join(work, `${name}.ts`), source)
  execFileSync(join(root, 'node_modules', '.bin', 'bun'), [
    'build', join(work, `${name}.ts`), '--compile', '--bytecode', '--format=esm', '--production',
    '--no-compile-autoload-dotenv', '--no-compile-autoload-bunfig', '--outfile', join(work, name),
  ], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] })
  return join(work, name)
}

export const fmt = (ms) => ms.toFixed(1).padStart(7)

/** The 1-minute load average: wall-clock figures mean little when it exceeds the CPU count. */
export const load = () => loadavg()[0].toFixed(2)

export function warnIfBusy(before, after) {
  const cpus = availableParallelism()
  if (Math.max(Number(before), Number(after)) > cpus * 0.75) console.log(`warning: load average ${before} → ${after} on ${cpus} CPUs: other work is competing; figures are inflated`)
}

function main() {
  const i = process.argv.indexOf('--bin')
  const pulpo = i > 0 ? resolve(process.argv[i + 1]) : join(root, 'dist', 'pulpo')
  if (!existsSync(pulpo)) {
    if (i > 0) throw new Error(`${pulpo}: no such file`)
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' })
  }

  const work = mkdtempSync(join(tmpdir(), 'pulpo-bench-startup-'))
  try {
    // Two hello-worlds: console.log (Bun's fast path) and process.stdout.write. Bun creates
    // process.stdout lazily, and creating it costs ~10 ms; every oclif CLI (pulpo included) pays it,
    // because oclif writes through process.stdout. The target is against the first.
    const hello = buildLikePulpo(work, 'hello', "console.log('hello')\n")
    const helloStdout = buildLikePulpo(work, 'hello-stdout', "process.stdout.write('hello\\n')\n")

    const cwd = mkdtempSync(join(work, 'cwd-'))
    const loadBefore = load()
    const subjects = [
      { name: 'bun hello-world binary', file: hello, args: [] },
      { name: 'dist/pulpo --version', file: pulpo, args: ['--version'] },
      { name: 'bun hello, process.stdout', file: helloStdout, args: [] },
      { name: '/bin/true (spawn floor)', file: '/bin/true', args: [] },
    ]
    for (let i = 0; i < WARMUP; i++) for (const s of subjects) timeOnce(s.file, s.args, cwd)
    const samples = subjects.map(() => [])
    const cpu = subjects.map(() => ({}))
    for (let i = 0; i < RUNS; i++) subjects.forEach((s, k) => samples[k].push(timeOnce(s.file, s.args, cwd, cpu[k])))

    const loadAfter = load()
    const results = subjects.map((s, k) => ({ name: s.name, ...stats(samples[k]), cpuMsPerRun: cpu[k].ms === undefined ? undefined : cpu[k].ms / RUNS }))
    const [h, p, hs] = results
    const ratio = p.median / h.median
    if (process.argv.includes('--json')) {
      console.log(JSON.stringify({ bin: pulpo, runs: RUNS, warmup: WARMUP, loadavg: [Number(loadBefore), Number(loadAfter)], results, ratio, ratioVsStdoutHello: p.median / hs.median, target: TARGET, pass: ratio <= TARGET }, null, 2))
      return
    }
    console.log(`start-up, ${RUNS} interleaved runs each after ${WARMUP} warm-up runs (ms, wall clock incl. spawn); load average ${loadBefore} → ${loadAfter}`)
    console.log(`${'subject'.padEnd(26)} ${'median'.padStart(7)} ${'p90'.padStart(7)} ${'min'.padStart(7)} ${'max'.padStart(7)} ${'CPU/run'.padStart(7)}`)
    results.forEach((r, k) => console.log(`${r.name.padEnd(26)} ${fmt(r.median)} ${fmt(r.p90)} ${fmt(r.min)} ${fmt(r.max)} ${cpuPerRun(cpu[k], RUNS)}`))
    console.log(`ratio pulpo/hello (medians): ${ratio.toFixed(2)}×  (p90: ${(p.p90 / h.p90).toFixed(2)}×)  target ≤ ${TARGET}×: ${ratio <= TARGET ? 'PASS' : 'MISS'}`)
    console.log(`ratio pulpo/hello-via-process.stdout (medians): ${(p.median / hs.median).toFixed(2)}×  (for scale: not the target)`)
    if (p.cpuMsPerRun !== undefined) console.log(`ratio pulpo/hello (CPU time per run, user+sys): ${(p.cpuMsPerRun / h.cpuMsPerRun).toFixed(2)}×  (less sensitive to competing load)`)
    warnIfBusy(loadBefore, loadAfter)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main()
