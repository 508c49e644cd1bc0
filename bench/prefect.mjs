#!/usr/bin/env node
// Prefect: `pulpo compile` of 1,000 operations (target ≤ 300 ms), and the overhead of
// `pulpo prefect run` over calling the same compiled flow directly with Python.
//
//   node bench/prefect.mjs [--runs 10] [--bin dist/pulpo]
//
// Needs the project's venv (scripts/setup-python.sh). The flow runs in Prefect's ephemeral mode
// for both, so both pay the same Prefect start-up; what differs is pulpo's part.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fmt, load, stats, timeOnce, warnIfBusy } from './startup.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? process.argv[i + 1] : fallback
}
const RUNS = Number(arg('--runs', 10))
const pulpo = resolve(arg('--bin', join(root, 'dist', 'pulpo')))
const python = join(root, '.venv', 'bin', 'python')

/** 1,000 operations: 10 top-level groups × 10 subgroups × 10 leaves, with params and inputs. */
function bigProject(dir, n) {
  const lines = ['version: 1', 'project: bench', 'python_path: [.]', 'operations:']
  let count = 0
  for (let g = 0; count < n; g++) {
    for (let s = 0; s < 10 && count < n; s++) {
      for (let l = 0; l < 10 && count < n; l++, count++) {
        const inputs = l > 0 ? `, inputs: [g${g}.s${s}.op${l - 1}]` : ''
        lines.push(`  g${g}.s${s}.op${l}: { run: ops.m${l}:run, params: { p${l}: int, q: { type: str, default: "x" } }${inputs} }`)
      }
    }
  }
  writeFileSync(join(dir, 'pulpo.yaml'), lines.join('\n') + '\n')
}

function main() {
  const before = load()
  const work = mkdtempSync(join(tmpdir(), 'pulpo-bench-prefect-'))
  try {
    bigProject(work, 1000)
    const compile = []
    for (let i = 0; i < RUNS; i++) {
      rmSync(join(work, 'run_cache'), { recursive: true, force: true })
      compile.push(timeOnce(pulpo, ['compile'], work))
    }
    const c = stats(compile)
    console.log(`compile of 1,000 operations (fresh run_cache/): median ${fmt(c.median)} ms, p90 ${fmt(c.p90)} ms — target ≤ 300 ms: ${c.median <= 300 ? 'met' : 'MISSED'}`)

    // A trivial flow, so the comparison is about what wraps it.
    const small = join(work, 'small')
    mkdirSync(join(small, 'ops'), { recursive: true })
    writeFileSync(join(small, 'ops', '__init__.py'), '')
    writeFileSync(join(small, 'ops', 'hello.py'), 'def run(name: str) -> str:\n    return f"hello {name}"\n')
    writeFileSync(join(small, 'pulpo.yaml'), `version: 1\nproject: small\npython: ${python}\npython_path: [.]\noperations:\n  greet.hello: { run: ops.hello:run, params: { name: str } }\n`)
    timeOnce(pulpo, ['compile'], small)
    const direct = `import asyncio, sys\nsys.path[:0] = ["run_cache", "."]\nfrom orchestration.greet_flow import greet_flow\nprint(asyncio.run(greet_flow(name="bench")))\n`
    const viaPulpo = []
    const viaPython = []
    const env = { ...process.env, PREFECT_LOGGING_LEVEL: 'WARNING' }
    for (let i = 0; i < Math.max(3, Math.floor(RUNS / 2)); i++) {
      const t0 = process.hrtime.bigint()
      const a = spawnSync(pulpo, ['prefect', 'run', 'greet_flow', '--param', 'name=bench', '--json'], { cwd: small, env, stdio: ['ignore', 'pipe', 'pipe'] })
      viaPulpo.push(Number(process.hrtime.bigint() - t0) / 1e6)
      if (a.status !== 0) throw new Error(`pulpo prefect run failed: ${a.stderr}`)
      const t1 = process.hrtime.bigint()
      const b = spawnSync(python, ['-c', direct], { cwd: small, env, stdio: ['ignore', 'pipe', 'pipe'] })
      viaPython.push(Number(process.hrtime.bigint() - t1) / 1e6)
      if (b.status !== 0) throw new Error(`python failed: ${b.stderr}`)
    }
    const p = stats(viaPulpo)
    const y = stats(viaPython)
    console.log(`prefect run (ephemeral mode), ${p.runs} runs each, interleaved:`)
    console.log(`  pulpo prefect run greet_flow: median ${fmt(p.median)} ms`)
    console.log(`  python calling greet_flow:    median ${fmt(y.median)} ms`)
    console.log(`  pulpo's overhead:             ${fmt(p.median - y.median)} ms (${((p.median / y.median - 1) * 100).toFixed(1)}%)`)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
  const after = load()
  console.log(`load average: ${before} → ${after}`)
  warnIfBusy(before, after)
}

main()
