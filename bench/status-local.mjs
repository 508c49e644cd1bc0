#!/usr/bin/env node
// `pulpo status` on 50 running local services against `process-compose process list` on the same
// 50 services, in the same run: bench/local-dag.mjs's DAG is brought up under both (each from its
// own temporary directory), then the commands are run one after the other, interleaved, the order
// alternating, after a warm-up. Target: pulpo status no slower than process-compose (medians).
//
//   node bench/status-local.mjs [--runs 20] [--bin dist/pulpo] [--pc FILE] [--wait-load 1.5]
//                               [--max-wait 1200] [--keep] [--json]
//
// Also timed, for scale: `pulpo status --json`, `process-compose process list -o wide` (a table
// with each process's status, like pulpo's), and `pulpo --version` (any pulpo command's start-up).
// Every run is checked: pulpo's JSON names 50 services, all running and healthy; process-compose
// lists 50 processes. CPU per run is the finished child's user + system time. Both stacks are
// stopped at the end (and on Ctrl-C), and checked to be gone.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fmt, load, stats, warnIfBusy } from './startup.mjs'
import { ensureProcessCompose, ensurePulpo, flag, forget, killAll, live, must, option, pcGet, pcServerPid, pcUp, PULPO, run, say, survivors, waitForQuiet, workspace } from './local-dag.mjs'

const RUNS = Number(option('--runs', 20))
const JSON_OUT = flag('--json')

async function main() {
  ensurePulpo()
  const pc = ensureProcessCompose()
  const { dag, pulpoDir, pcDir, close } = workspace('pulpo-bench-status-')
  try {
    const waited = await waitForQuiet()
    if (waited > 1) say(`waited ${waited.toFixed(0)} s for the load average to drop: now ${load()}`)
    say(`starting the ${dag.services.length} services under pulpo and under process-compose`)
    live.pulpoDirs.add(pulpoDir)
    must(await run(PULPO, ['up'], pulpoDir), 'pulpo up')
    const { sock, common, ready } = await pcUp(pc, pcDir)
    await ready
    const server = pcServerPid(sock)
    const pcPids = (await pcGet(sock, '/processes')).data.map((s) => s.pid)
    ;[server, ...pcPids].forEach((p) => live.pids.add(p))

    const checks = {
      status: () => {},
      statusJson: (r) => {
        const services = JSON.parse(r.stdout).services
        const bad = services.filter((s) => s.actual !== 'running' || s.health !== 'healthy')
        if (services.length !== 50 || bad.length) throw new Error(`pulpo status --json: ${services.length} services, not well: ${bad.map((s) => s.name).join(', ')}`)
      },
      pcList: (r) => {
        const names = r.stdout.split('\n').filter((l) => /^s\d\d$/.test(l.trim()))
        if (names.length !== 50) throw new Error(`process-compose process list: ${names.length} processes`)
      },
      pcWide: () => {},
      version: () => {},
    }
    const subjects = {
      status: [PULPO, ['status'], pulpoDir],
      statusJson: [PULPO, ['status', '--json'], pulpoDir],
      pcList: [pc, ['process', 'list', ...common], pcDir],
      pcWide: [pc, ['process', 'list', '-o', 'wide', ...common], pcDir],
      version: [PULPO, ['--version'], pulpoDir],
    }
    const names = Object.keys(subjects)
    const times = Object.fromEntries(names.map((n) => [n, { ms: [], cpu: 0 }]))
    const once = async (n, record) => {
      const [file, args, cwd] = subjects[n]
      const r = must(await run(file, args, cwd), `${file} ${args.join(' ')}`)
      checks[n](r)
      if (record) {
        times[n].ms.push(r.ms)
        times[n].cpu += r.cpu / RUNS
      }
    }
    for (let i = 0; i < 2; i++) for (const n of names) await once(n, false)
    const loadBefore = load()
    for (let i = 0; i < RUNS; i++) for (const n of i % 2 ? [...names].reverse() : names) await once(n, true)
    const loadAfter = load()

    const s = Object.fromEntries(names.map((n) => [n, stats(times[n].ms)]))
    const ratio = s.status.median / s.pcList.median
    const result = {
      services: dag.services.length,
      runs: RUNS,
      loadavg: [Number(loadBefore), Number(loadAfter)],
      waitedForLoadS: waited,
      medianMs: Object.fromEntries(names.map((n) => [n, s[n].median])),
      stats: s,
      cpuMsPerRun: Object.fromEntries(names.map((n) => [n, times[n].cpu])),
      target: { ratio, pass: ratio <= 1 },
    }

    // Down, and nothing of either left behind.
    const pulpoPids = JSON.parse(readFileSync(join(pulpoDir, '.pulpo', 'dag50', 'state.json'), 'utf8'))
    const pulpoAll = [pulpoPids.supervisor.pid, ...Object.values(pulpoPids.services).map((v) => v.pid)]
    must(await run(PULPO, ['down'], pulpoDir), 'pulpo down')
    live.pulpoDirs.delete(pulpoDir)
    must(await run(pc, ['down', ...common], pcDir), 'process-compose down')
    live.pc.delete(sock)
    for (let i = 0; i < 100 && survivors([server], []).length; i++) await new Promise((r) => setTimeout(r, 20))
    const left = survivors([...pulpoAll, server, ...pcPids], [...pulpoAll.slice(1), ...pcPids])
    if (left.length) say(`warning: ${left.length} process(es) left running after down; killed them`)
    killAll(left)
    forget([server, ...pcPids])

    if (JSON_OUT) {
      console.log(JSON.stringify(result, null, 2))
      return
    }
    const label = { status: 'pulpo status', statusJson: 'pulpo status --json', pcList: 'process-compose process list', pcWide: 'process-compose process list -o wide', version: 'for scale: pulpo --version' }
    console.log(`\n${RUNS} interleaved runs each, 50 services running under each (ms, wall clock); load average ${loadBefore} → ${loadAfter}`)
    console.log(`${'subject'.padEnd(40)} ${'median'.padStart(7)} ${'p90'.padStart(7)} ${'min'.padStart(7)} ${'max'.padStart(7)} ${'CPU/run'.padStart(7)}`)
    for (const n of names) console.log(`${label[n].padEnd(40)} ${fmt(s[n].median)} ${fmt(s[n].p90)} ${fmt(s[n].min)} ${fmt(s[n].max)} ${fmt(times[n].cpu)}`)
    console.log(`ratio pulpo status / process-compose process list (medians): ${ratio.toFixed(3)}×  target ≤ 1: ${ratio <= 1 ? 'PASS' : 'MISS'}`)
    warnIfBusy(loadBefore, loadAfter)
  } finally {
    close()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
