#!/usr/bin/env node
// Swarm mode against Docker's own stack deploy, on the test cluster (scripts/setup-swarm.sh).
// Targets: `pulpo up` of the 3-tier stack ≤ 1.2 × `docker stack deploy --detach=false` of the same
// run_cache/stack.yml followed by waiting until every service has converged; an unchanged `up`
// ≤ 1 s; a rolling update of the 3-replica api: its time, and the failed requests of a client in
// the overlay network (target 0).
//
//   node bench/swarm.mjs [--runs 2] [--bin dist/pulpo]
//
// The stack is test/swarm/stack.ts's: db (persisted, http probe), migrate (a job the api waits
// for; `restart: on-failure`, since stack deploy does not order and the job's first run may find
// no db), api (3 replicas, http probe, a secret token), worker (waits for api healthy). Images are
// built FROM the registry's base image and pushed with `pulpo build --push` (untimed), and one
// warm-up of each contender runs first, so every node has pulled them. Each timed run starts from
// nothing (the previous stack removed, untimed). `docker stack deploy` gets the secret pulpo would
// create (created untimed); its wait is "every replicated service at its replicas, the job
// complete", polled every 250 ms. Everything is removed at the end.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir, cpus, loadavg } from 'node:os'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const arg = (name, d) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : d
}
const RUNS = Number(arg('runs', 2))
const BIN = resolve(arg('bin', join(ROOT, 'dist', 'pulpo')))
const TOKEN = 'bench-token-5e1f'

const vars = {}
for (const m of execFileSync(join(ROOT, 'scripts', 'setup-swarm.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).matchAll(/^export (\w+)=(.*)$/gm)) vars[m[1]] = m[2]
const manager = vars.PULPO_SWARM_MANAGER
const name = `bench-swarm-${process.pid.toString(36)}`
const dir = mkdtempSync(join(tmpdir(), 'pulpo-bench-swarm-'))

/** The stack of test/swarm/stack.ts, written without importing TypeScript. */
function yaml(version) {
  const build = `    build: { context: app, args: { BASE: "${vars.PULPO_SWARM_BASE_IMAGE}" } }`
  return ['version: 1', `project: ${name}`, `registry: ${vars.PULPO_SWARM_REGISTRY}`, 'services:',
    '  db:', build, '    port: 7000', '    publish: false', '    persist: true', '    env: { ROLE: db, PORT: "7000" }', '    ready: { http: /health, interval: 1s }',
    '  migrate:', build, '    env: { ROLE: migrate }', '    restart: on-failure', '    depends_on: { db: healthy }',
    '  api:', build, '    command: [python3, /app/app.py]', '    port: 8000', '    publish: false', `    env: { ROLE: api, API_TOKEN: "\${API_TOKEN}", VERSION: "${version}" }`, '    ready: { http: /health, interval: 1s }', '    depends_on: { migrate: completed, db: healthy }', '    deploy: { replicas: 3, update: { monitor: 2s } }',
    '  worker:', build, '    env: { ROLE: worker }', '    depends_on: { api: healthy }',
    'environments:', '  prod:', '    mode: swarm', `    docker_host: ${manager}`, '    endpoint_mode: dnsrr', '    publish_mode: host', ''].join('\n')
}
mkdirSync(join(dir, 'app'))
for (const f of ['Dockerfile', 'app.py']) writeFileSync(join(dir, 'app', f), readFileSync(join(ROOT, 'test', 'swarm', 'programs', f)))
writeFileSync(join(dir, 'pulpo.yaml'), yaml('1'))

const env = { ...process.env, API_TOKEN: TOKEN }
const dockerEnv = { ...process.env, DOCKER_HOST: manager }
const pulpo = (...args) => {
  const r = spawnSync(BIN, [...args, '-e', 'prod'], { cwd: dir, env, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`pulpo ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return r.stdout
}
const docker = (...args) => execFileSync('docker', args, { env: dockerEnv, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] })
const time = (f) => {
  const t = process.hrtime.bigint()
  f()
  return Number(process.hrtime.bigint() - t) / 1e6
}
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

/** Until nothing of the stack is left (services, then the network). */
function removeStack() {
  spawnSync('docker', ['stack', 'rm', name], { env: dockerEnv })
  for (let i = 0; i < 120; i++) {
    const left = docker('service', 'ls', '-q', '--filter', `name=${name}_`).trim() + docker('network', 'ls', '-q', '--filter', `name=${name}_default`).trim()
    if (!left) return
    sleep(500)
  }
}

/** Every replicated service at its replicas, the job complete. */
function converged() {
  const rows = docker('service', 'ls', '--filter', `name=${name}_`, '--format', '{{.Name}} {{.Replicas}}').trim().split('\n').filter(Boolean)
  if (rows.length < 4) return false
  return rows.every((r) => {
    const rep = r.split(' ').slice(1).join(' ')
    const m = /^(\d+)\/(\d+)( \((\d+)\/(\d+) completed\))?/.exec(rep)
    return m && (m[3] ? m[4] === m[5] : m[1] === m[2])
  })
}

function stackDeploy() {
  // The secret pulpo would have created (untimed): the stack file names it.
  const secret = /source: (\S+_API_TOKEN_[0-9a-f]{12})/.exec(readFileSync(join(dir, 'run_cache', 'stack.yml'), 'utf8'))[1]
  spawnSync('docker', ['secret', 'create', '--label', `dev.pulpo.project=${name}`, secret, '-'], { env: dockerEnv, input: TOKEN })
  // The db's volume is pinned to a labelled node: pulpo's label stays in place between runs.
  return time(() => {
    docker('stack', 'deploy', '--detach=false', '-c', join(dir, 'run_cache', 'stack.yml'), name)
    for (const until = Date.now() + 600_000; !converged(); sleep(250)) if (Date.now() > until) throw new Error('docker stack deploy did not converge in 10 minutes')
  })
}

function pulpoUp() {
  return time(() => pulpo('up'))
}

const results = { pulpo: [], stack: [], unchanged: [], update: [] }
try {
  pulpo('build', '--push')
  pulpo('compile')
  // Warm-up: every node pulls the images once.
  pulpoUp()
  pulpo('down')
  removeStack()
  stackDeploy()
  removeStack()
  spawnSync(BIN, ['down', '-e', 'prod'], { cwd: dir, env })
  for (let i = 0; i < RUNS; i++) {
    const order = i % 2 ? ['stack', 'pulpo'] : ['pulpo', 'stack']
    for (const who of order) {
      if (who === 'pulpo') {
        results.pulpo.push(pulpoUp())
        pulpo('down')
        removeStack()
      } else {
        results.stack.push(stackDeploy())
        removeStack()
        spawnSync(BIN, ['down', '-e', 'prod'], { cwd: dir, env })
      }
    }
  }
  pulpoUp()
  for (let i = 0; i < 5; i++) results.unchanged.push(time(() => pulpo('up')))
  // A rolling update of the api, with a client in the overlay network counting failed requests.
  const client = `
import json, sys, time, urllib.request
ok = failed = streak = 0
for i in range(6000):
    try:
        v = json.loads(urllib.request.urlopen("http://api:8000/", timeout=5).read())["version"]
        ok += 1
        streak = streak + 1 if v == "2" else 0
        if streak >= 30: break
    except Exception:
        failed += 1
    time.sleep(0.05)
print(json.dumps({"ok": ok, "failed": failed}))
`
  docker('run', '-d', '--name', `${name}-client`, '--network', `${name}_default`, vars.PULPO_SWARM_BASE_IMAGE, 'python3', '-c', client)
  writeFileSync(join(dir, 'pulpo.yaml'), yaml('2'))
  results.update.push(time(() => pulpo('up')))
  docker('wait', `${name}-client`)
  results.client = JSON.parse(docker('logs', `${name}-client`).trim().split('\n').pop())
} finally {
  spawnSync('docker', ['rm', '-f', `${name}-client`], { env: dockerEnv })
  spawnSync(BIN, ['down', '-e', 'prod', '--volumes'], { cwd: dir, env })
  removeStack()
  rmSync(dir, { recursive: true, force: true })
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const s = (ms) => `${(ms / 1000).toFixed(2)} s`
const ratio = median(results.pulpo) / median(results.stack)
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`)
console.log(`pulpo up (3-tier, from nothing):        ${results.pulpo.map(s).join(', ')}  median ${s(median(results.pulpo))}`)
console.log(`docker stack deploy + converged:         ${results.stack.map(s).join(', ')}  median ${s(median(results.stack))}`)
console.log(`ratio ${ratio.toFixed(2)} (target ≤ 1.2): ${ratio <= 1.2 ? 'MET' : 'MISS'}`)
console.log(`unchanged up:                            ${results.unchanged.map(s).join(', ')}  median ${s(median(results.unchanged))} (target ≤ 1 s: ${median(results.unchanged) <= 1000 ? 'MET' : 'MISS'})`)
console.log(`rolling update of the 3-replica api:     ${s(results.update[0])}; client: ${results.client.ok} ok, ${results.client.failed} failed (target 0)`)
