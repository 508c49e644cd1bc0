#!/usr/bin/env bash
# Timings of the README's first command and of a warm `pulpo up` of the example. Prints figures;
# asserts nothing (the end-to-end test is test/e2e/example.test.ts).
#
#   bench/example.sh [--runs N] [--fresh] [--cold]
#
# Everything runs in copies of this repository (its committed HEAD) under a temp directory, with
# pulpo.example.yaml moved to free ports, so an example already running here is left alone:
#   warm     scripts/example.sh in a copy given this checkout's node_modules and .venv (as on a
#            machine that has run it before), step by step; then N times `pulpo down` + `pulpo up`,
#            with each service's own start-up (its process start -> first ready answer, observed
#            from outside) and pulpo's overhead (up's total minus the critical path of those).
#   --fresh  scripts/example.sh in a copy with no node_modules, .venv or dist and no FerretDB build
#            (an empty XDG_CACHE_HOME); npm's, pip's and Go's own caches stay as they are.
#   --cold   as --fresh, and npm, pip and Go start from empty caches too (downloads everything).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
runs=3 fresh=0 cold=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --fresh) fresh=1; shift ;;
    --cold) fresh=1; cold=1; shift ;;
    *) echo "usage: bench/example.sh [--runs N] [--fresh] [--cold]" >&2; exit 2 ;;
  esac
done
[ -d "$repo/node_modules" ] && [ -x "$repo/.venv/bin/python" ] || { echo "bench/example.sh: run scripts/example.sh once first (it needs node_modules and .venv to copy)" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/pulpo-bench-XXXXXX")"
copies=()
cleanup() {
  for c in "${copies[@]}"; do
    if [ -d "$c/.pulpo" ] && [ -x "$c/dist/pulpo" ]; then (cd "$c" && dist/pulpo down -c pulpo.example.yaml >/dev/null 2>&1) || echo "warning: pulpo down failed in $c" >&2; fi
  done
  # Anything still running from the copies (working directory or command line in them)?
  local p left="" args
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = "$$" ] && continue
    args=()
    mapfile -d '' args 2>/dev/null <"$p/cmdline" || true
    if [[ "$(readlink "$p/cwd" 2>/dev/null)" == "$work"* || "${args[*]}" == *"$work"* ]]; then left+=" ${p#/proc/}"; fi
  done
  [ -z "$left" ] || echo "warning: processes left in $work:$left" >&2
  rm -rf "$work"
}
trap cleanup EXIT

now() { echo "$EPOCHREALTIME"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# --- the machine -------------------------------------------------------------------------------
echo "## machine"
echo "cpus: $(nproc); memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo); cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "node $(node --version), $(python3 --version 2>&1), $(go version 2>/dev/null | cut -d' ' -f3 || echo 'no go'); pulpo at $(git -C "$repo" rev-parse --short HEAD)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- a copy of the repository, with the example on free ports ----------------------------------
free_ports() {
  node -e '
    const net = require("node:net")
    const n = Number(process.argv[1])
    Promise.all(Array.from({ length: n }, () => new Promise((ok) => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => ok(s)) })))
      .then((ss) => { console.log(ss.map((s) => s.address().port).join(" ")); ss.forEach((s) => s.close()) })' "$1"
}

# copy DIR warm|fresh: HEAD's files; warm adds this checkout's node_modules and .venv.
copy() {
  local dir="$1" kind="$2"
  mkdir -p "$dir"
  git -C "$repo" archive HEAD | tar -x -C "$dir"
  if [ "$kind" = warm ]; then
    cp -a "$repo/node_modules" "$repo/.venv" "$dir/"
    # Installed after the lockfile was written, as on a machine that ran npm ci (the archive's
    # files carry the commit's time).
    touch "$dir/node_modules/.package-lock.json"
  fi
  # Every service with a port gets a free one (edited in place with the yaml document API).
  local n; n="$(cd "$repo" && node --input-type=module -e "import YAML from 'yaml'; import fs from 'node:fs'; console.log(Object.values(YAML.parse(fs.readFileSync('pulpo.example.yaml', 'utf8')).services).filter((s) => s.port !== undefined).length)")"
  # shellcheck disable=SC2046
  (cd "$repo" && node --input-type=module -e "
    import YAML from 'yaml'; import fs from 'node:fs'
    const [file, ...ports] = process.argv.slice(1)
    const doc = YAML.parseDocument(fs.readFileSync(file, 'utf8'))
    for (const pair of doc.get('services').items) if (doc.hasIn(['services', pair.key.value, 'port'])) doc.setIn(['services', pair.key.value, 'port'], Number(ports.shift()))
    fs.writeFileSync(file, String(doc))" "$dir/pulpo.example.yaml" $(free_ports "$n"))
  copies+=("$dir")
}

# example DIR LABEL: scripts/example.sh in DIR, traced, with the time of each of its steps.
example() {
  local dir="$1" label="$2" log="$1/example.log"
  local t0 t1
  t0="$(now)"
  # Traced with a timestamp per command (bash ignores PS4 from the environment when run as root,
  # so it is set inside, and the script sourced; its $0 stays scripts/example.sh).
  # shellcheck disable=SC2016
  if ! (cd "$dir" && bash -c 'PS4="+ \$EPOCHREALTIME "; set -x; source "$0"' scripts/example.sh >"$log" 2>&1); then
    echo "scripts/example.sh failed ($label); its output:" >&2
    tail -50 "$log" >&2
    exit 1
  fi
  t1="$(now)"
  echo
  echo "## scripts/example.sh, $label: $(secs "$t0" "$t1") s"
  # The trace's top-level steps, each timed until the next one starts.
  awk -v end="$t1" '
    /^\+\+\+? [0-9.]+ (npm ci|npm run build|scripts\/setup-python.sh|scripts\/setup-mongodb.sh|pulpo validate|pulpo up|pulpo status|pulpo prefect run|cat)/ {
      step = $3; for (i = 4; i <= NF && i <= 6; i++) step = step " " $i
      if (name != "") printf "  %-38s %6.1f s\n", name, $2 - start
      name = step; start = $2
    }
    END { if (name != "") printf "  %-38s %6.1f s\n", name, end - start }' "$log"
}

# --- warm ----------------------------------------------------------------------------------------
warm="$work/warm"
copy "$warm" warm
example "$warm" "warm machine (node_modules, .venv, FerretDB built; dist rebuilt)"

# N times: pulpo down, then a measured pulpo up.
cat >"$warm/.bench-up.mjs" <<'JS'
// Runs `pulpo up` and watches each service from outside: when its process started (state.json's
// startedAt, set by the supervisor as it spawns) and when it first answered its readiness check
// (polled every 20 ms: the same check pulpo's probe makes, HTTP/log/MongoDB ping).
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { MongoClient } from 'mongodb'

const [bin, config, runsArg] = process.argv.slice(2)
const runs = Number(runsArg)
const pulpo = (args) => execFileSync(bin, [...args, '-c', config], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
const project = JSON.parse(pulpo(['config', '--json']))
const services = Object.entries(project.services).map(([name, s]) => ({ name, ready: s.ready, port: s.port, deps: Object.keys(s.depends_on ?? {}) }))
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const logFile = (name) => `.pulpo/logs/${name}.log`
const size = (f) => (existsSync(f) ? statSync(f).size : 0)

function check(s, offset) {
  const r = s.ready
  if (r?.http) {
    return async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${s.port}${r.http}`, { redirect: 'manual', signal: AbortSignal.timeout(2000) })
        await res.body?.cancel()
        return res.status >= 200 && res.status < 400
      } catch {
        return false
      }
    }
  }
  if (r?.log) return async () => existsSync(logFile(s.name)) && readFileSync(logFile(s.name)).subarray(offset).toString().match(new RegExp(r.log)) !== null
  if (r?.mongodb) {
    return async () => {
      const c = new MongoClient(`mongodb://127.0.0.1:${s.port}/?directConnection=true`, { serverSelectionTimeoutMS: 1000, connectTimeoutMS: 1000 })
      try {
        await c.db('admin').command({ ping: 1 })
        return true
      } catch {
        return false
      } finally {
        await c.close().catch(() => {})
      }
    }
  }
  return undefined
}

/** A process's CPU time (user + system) in seconds, from /proc; undefined when it is gone. */
function cpuOf(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(f[11]) + Number(f[12])) / TICKS
  } catch {
    return undefined
  }
}
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }))
function pidOf(name) {
  try {
    return JSON.parse(readFileSync('.pulpo/state.json', 'utf8')).services[name]?.pid
  } catch {
    return undefined
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const results = []
for (let run = 1; run <= runs; run++) {
  const d0 = performance.now()
  pulpo(['down'])
  const downS = (performance.now() - d0) / 1000
  const offsets = Object.fromEntries(services.map((s) => [s.name, size(logFile(s.name))]))
  const readyAt = {}
  const cpuAtReady = {}
  let done = false
  const t0 = Date.now()
  const pollers = services.map(async (s) => {
    const ok = check(s, offsets[s.name])
    if (!ok) return
    while (!done) {
      if (await ok()) {
        readyAt[s.name] = Date.now()
        cpuAtReady[s.name] = cpuOf(pidOf(s.name))
        return
      }
      await sleep(20)
    }
  })
  // Through bash, whose `times` then gives the CPU time of `pulpo up` (the detached supervisor
  // it starts is not included: that one is read from /proc below).
  const up = spawn('bash', ['-c', '"$0" up -c "$1" 2>/dev/null; s=$?; times; exit $s', bin, config], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  up.stdout.on('data', (d) => (out += d))
  const code = await new Promise((r) => up.once('close', r))
  const t1 = Date.now()
  if (code !== 0) {
    console.error(`pulpo up exited ${code}:\n${out}`)
    process.exit(1)
  }
  const [, uMin, uSec, sMin, sSec] = out.trim().split('\n').at(-1).match(/(\d+)m([\d.]+)s (\d+)m([\d.]+)s/).map(Number)
  const upCpu = uMin * 60 + uSec + sMin * 60 + sSec
  const supervisorCpu = cpuOf(JSON.parse(readFileSync('.pulpo/state.json', 'utf8')).supervisor?.pid)
  // Pollers see readiness at most ~20 ms after it happens; give stragglers a moment, then stop.
  await Promise.race([Promise.all(pollers), sleep(5000)])
  done = true
  const state = JSON.parse(readFileSync('.pulpo/state.json', 'utf8'))
  const row = {}
  for (const s of services) {
    const started = Date.parse(state.services[s.name]?.startedAt)
    row[s.name] = { spawned: (started - t0) / 1000, ready: readyAt[s.name] !== undefined ? (readyAt[s.name] - t0) / 1000 : undefined, own: readyAt[s.name] !== undefined ? (readyAt[s.name] - started) / 1000 : 0 }
  }
  // The critical path: each service's own start-up plus the slowest chain of what it waits for.
  const chain = {}
  const walk = (name) => {
    if (chain[name]) return chain[name]
    const s = services.find((x) => x.name === name)
    const before = s.deps.map(walk).sort((a, b) => b.total - a.total)[0] ?? { total: 0, path: [] }
    return (chain[name] = { total: before.total + row[name].own, path: [...before.path, name] })
  }
  const critical = services.map((s) => walk(s.name)).sort((a, b) => b.total - a.total)[0]
  const slowest = services.map((s) => ({ name: s.name, own: row[s.name].own })).sort((a, b) => b.own - a.own)[0]
  const total = (t1 - t0) / 1000
  results.push({ total, down: downS, row, critical, slowest, upCpu, supervisorCpu, prefectCpu: cpuAtReady.prefect })
  console.log(`\nrun ${run}: pulpo up ${total.toFixed(1)} s (pulpo down before it: ${downS.toFixed(1)} s)`)
  console.log('  service      spawned   ready    own start-up')
  for (const s of services) {
    const r = row[s.name]
    console.log(`  ${s.name.padEnd(10)} ${r.spawned.toFixed(2).padStart(7)}  ${(r.ready?.toFixed(2) ?? '-').padStart(6)}  ${r.own.toFixed(2).padStart(8)}`)
  }
  console.log(`  before the first service was spawned (start, config, compile, supervisor): ${Math.min(...services.map((s) => row[s.name].spawned)).toFixed(2)} s`)
  console.log(`  slowest service: ${slowest.name} ${slowest.own.toFixed(2)} s -> pulpo's overhead beyond it: ${(total - slowest.own).toFixed(2)} s`)
  console.log(`  critical path: ${critical.path.join(' -> ')} = ${critical.total.toFixed(2)} s of start-ups -> pulpo's own overhead: ${(total - critical.total).toFixed(2)} s`)
  console.log(`  CPU time: pulpo up ${upCpu.toFixed(2)} s, its supervisor ${supervisorCpu?.toFixed(2)} s, the Prefect server until ready ${cpuAtReady.prefect?.toFixed(2)} s`)
}
const m = (f) => median(results.map(f)).toFixed(2)
console.log(`\n## warm pulpo up, median of ${runs}`)
console.log(`  total                                  ${m((r) => r.total)} s`)
console.log(`  Prefect server's own start-up          ${m((r) => r.row.prefect.own)} s`)
for (const s of services) if (s.name !== 'prefect') console.log(`  ${(s.name + "'s own start-up").padEnd(38)} ${m((r) => r.row[s.name].own)} s`)
console.log(`  total - slowest service's start-up     ${m((r) => r.total - r.slowest.own)} s`)
console.log(`  total - critical path (pulpo overhead) ${m((r) => r.total - r.critical.total)} s   (${results[0].critical.path.join(' -> ')})`)
console.log(`  before the first spawn                 ${m((r) => Math.min(...services.map((s) => r.row[s.name].spawned)))} s`)
console.log(`  CPU: Prefect server until ready        ${m((r) => r.prefectCpu ?? NaN)} s`)
console.log(`  CPU: pulpo up + its supervisor         ${m((r) => r.upCpu + (r.supervisorCpu ?? NaN))} s`)
console.log(`  pulpo down                             ${m((r) => r.down)} s`)
JS
echo
echo "## warm pulpo up (after pulpo down), $runs runs; times in s from the start of pulpo up"
(cd "$warm" && eval "$(scripts/setup-mongodb.sh)" && node .bench-up.mjs "$warm/dist/pulpo" pulpo.example.yaml "$runs")
(cd "$warm" && dist/pulpo down -c pulpo.example.yaml >/dev/null)
echo "load average at the end of the warm runs: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- fresh -------------------------------------------------------------------------------------
if [ "$fresh" = 1 ]; then
  fresh_dir="$work/fresh"
  copy "$fresh_dir" fresh
  # No FerretDB build: an empty XDG_CACHE_HOME. Pip's and Go's build caches live under it too;
  # they are kept where they are unless --cold.
  if [ "$cold" = 1 ]; then
    export npm_config_cache="$work/cache/npm" GOMODCACHE="$work/cache/gomod" GOCACHE="$work/cache/go-build" PIP_CACHE_DIR="$work/cache/pip" GOFLAGS=-modcacherw
    label="fresh machine: no node_modules, .venv, dist, FerretDB; empty npm, pip and Go caches"
  else
    export GOCACHE="$(go env GOCACHE)" PIP_CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/pip"
    label="fresh checkout: no node_modules, .venv, dist, FerretDB build; npm, pip and Go caches warm"
  fi
  export XDG_CACHE_HOME="$work/cache/xdg"
  mkdir -p "$XDG_CACHE_HOME"
  unset PULPO_FERRETDB
  example "$fresh_dir" "$label"
  (cd "$fresh_dir" && dist/pulpo down -c pulpo.example.yaml >/dev/null)
  echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
