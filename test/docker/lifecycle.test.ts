/**
 * The main docker-mode lifecycle against a real engine, once per Compose version installed
 * (PULPO_COMPOSE=v2, then v1): a 3-service project db ← api ← web, where each dependent waits for
 * its dependency to be healthy (an HTTP probe answered by python3's urllib: the image has no curl
 * and no wget).
 *
 * up (order from container start times vs healthcheck results), status --json, ports on
 * 127.0.0.1, a secret that reaches the container and nothing else, up with no change, a changed
 * env recreating one container, logs and --tail, down leaving nothing.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  APP_DOCKERFILE, assertNoStackTrace, buildImage, byService, cleanup, COMPOSE_VERSIONS, docker, ensureBinary, everStarted, filesUnder, freePorts, get, HealthRecorder,
  ids, leftovers, NO_ENGINE, ns, projectName, pulpo, removeImages, show, tempProject, testImage, type Inspected,
} from './helpers.js'

const IMAGE = testImage('lifecycle')

before(async () => {
  if (NO_ENGINE) return
  await ensureBinary()
  await buildImage(IMAGE, APP_DOCKERFILE)
})
after(() => removeImages(IMAGE))

interface StatusRow {
  name: string
  desired: string
  actual: string
  health: string
  action: string
  container?: string
  ports: number[]
  since?: string
}

for (const version of COMPOSE_VERSIONS.length ? COMPOSE_VERSIONS : ['v2' as const]) {
  describe(`docker lifecycle with Compose ${version}`, { skip: NO_ENGINE || (COMPOSE_VERSIONS.length ? false : 'no Docker Compose installed') }, () => {
    const project = projectName(`life${version}`)
    const env = { PULPO_COMPOSE: version }
    const secret = `s3cr3t-${Math.random().toString(36).slice(2, 12)}`
    let dir = ''
    let ports: number[] = []
    let first: Record<string, Inspected> = {}

    // db and api listen only after DELAY (3 s): their first checks (1 s after the start) fail, so
    // the recorded healthcheck results hold each one's turn to healthy.
    const yaml = (greeting: string) => `version: 1
project: ${project}
mode: docker
services:
  db:
    image: ${IMAGE}
    command: [python3, /app/server.py, db]
    port: ${ports[0]}
    env: { PORT: "\${services.db.port}", DELAY: "3", DB_PASSWORD: "\${DB_PASSWORD}" }
    ready: { http: /health, interval: 1s, timeout: 60s }
  api:
    image: ${IMAGE}
    command: [python3, /app/server.py, api]
    port: ${ports[1]}
    env: { PORT: "\${services.api.port}", DB_URL: "\${services.db.url}", DELAY: "3" }
    depends_on: { db: healthy }
    ready: { http: /health, interval: 1s, timeout: 60s }
  web:
    image: ${IMAGE}
    command: [python3, /app/server.py, web]
    port: ${ports[2]}
    env: { PORT: "\${services.web.port}", API_URL: "\${services.api.url}", GREETING: ${greeting}, PRICE: "$$5 for $$HOME" }
    depends_on: { api: healthy }
`
    const writeYaml = (greeting: string) => writeFileSync(join(dir, 'pulpo.yaml'), yaml(greeting))

    before(async () => {
      ports = await freePorts(3)
      dir = tempProject({ '.env': `DB_PASSWORD=${secret}\n` })
      writeYaml('hello')
    })
    after(() => cleanup(dir, project, env))

    const outputs: string[] = []
    const p = async (...args: string[]) => {
      const r = await pulpo(args, { cwd: dir, env })
      outputs.push(r.stdout, r.stderr)
      return r
    }

    it('up starts all three, each dependent only after its dependency turned healthy', async () => {
      const health = new HealthRecorder(project)
      const r = await p('up')
      await health.stop()
      assert.equal(r.exitCode, 0, show(r))
      assertNoStackTrace(r)
      first = await byService(project)
      assert.deepEqual(Object.keys(first).sort(), ['api', 'db', 'web'])
      for (const c of Object.values(first)) assert.equal(c.State.Status, 'running', `${c.Name}: ${c.State.Status}`)

      for (const [dependency, dependent] of [['db', 'api'], ['api', 'web']]) {
        const probes = health.probes(dependency, first[dependency].Id)
        const healthy = probes.findIndex((x) => x.exitCode === 0)
        assert.ok(healthy >= 0, `${dependency} never passed its healthcheck: ${JSON.stringify(probes)}`)
        // The recorder saw the transition itself: a failing check (still starting) came first.
        assert.ok(probes.slice(0, healthy).some((x) => x.exitCode !== 0), `${dependency}: no failing check before the first success was recorded: ${JSON.stringify(probes)}`)
        const turnedHealthy = ns(probes[healthy].end)
        const started = ns(first[dependent].State.StartedAt)
        assert.ok(started > turnedHealthy, `${dependent} started at ${first[dependent].State.StartedAt}, before ${dependency} turned healthy at ${probes[healthy].end}`)
      }
      // And db started before api at all (no dependent starts before its dependency).
      assert.ok(ns(first.db.State.StartedAt) < ns(first.api.State.StartedAt))
    })

    it('status --json follows the contract, with container ids', async () => {
      const r = await p('status', '--json')
      assert.equal(r.exitCode, 0, show(r))
      const s = JSON.parse(r.stdout) as { project: string; environment: string; mode: string; services: StatusRow[] }
      assert.equal(s.project, project)
      assert.equal(s.environment, 'dev')
      assert.equal(s.mode, 'docker')
      assert.deepEqual(s.services.map((x) => x.name).sort(), ['api', 'db', 'web'])
      for (const row of s.services) {
        assert.equal(row.desired, 'running', row.name)
        assert.equal(row.actual, 'running', row.name)
        assert.equal(row.action, 'noop', row.name)
        assert.equal(row.health, row.name === 'web' ? 'unknown' : 'healthy', row.name)
        assert.equal(row.container, first[row.name].Id, `${row.name}: status names its container`)
        assert.deepEqual(row.ports, [ports[['db', 'api', 'web'].indexOf(row.name)]], row.name)
        assert.ok(row.since && ns(row.since) === ns(first[row.name].State.StartedAt), `${row.name}: since ${row.since}`)
      }
      const text = await p('status')
      assert.equal(text.exitCode, 0, show(text))
      assert.match(text.stdout, /in sync/)
      for (const c of Object.values(first)) assert.ok(text.stdout.includes(c.Id.slice(0, 12)), `status shows ${c.Name}'s short id\n${text.stdout}`)
    })

    it('publishes ports on 127.0.0.1 only, and the services answer there', async () => {
      for (const [i, name] of ['db', 'api', 'web'].entries()) {
        const bindings = Object.values(first[name].HostConfig.PortBindings).flatMap((b) => b ?? [])
        assert.deepEqual(bindings, [{ HostIp: '127.0.0.1', HostPort: String(ports[i]) }], name)
        assert.deepEqual(await get(ports[i], '/health'), { status: 200, body: `${name} ok` })
      }
      // Services reach each other by name on the project network.
      const env = first.web.Config.Env
      assert.ok(env.includes(`API_URL=http://api:${ports[1]}`), env.join('\n'))
      // A literal $ (written $$ in pulpo.yaml) reaches the container as written, not interpolated.
      assert.ok(env.includes('PRICE=$5 for $HOME'), env.join('\n'))
      const r = await docker('exec', first.web.Id, 'python3', '-c', `import urllib.request as u; print(u.urlopen('http://api:${ports[1]}/health').read().decode())`)
      assert.equal(r.trim(), 'api ok')
    })

    it('the secret reaches the container, and no file or output', async () => {
      assert.equal((await docker('exec', first.db.Id, 'printenv', 'DB_PASSWORD')).trim(), secret)
      for (const args of [['config'], ['status'], ['status', '--json'], ['plan', '--json'], ['logs'], ['compile']]) {
        const r = await p(...args)
        assert.equal(r.exitCode, 0, `${args.join(' ')}: ${show(r)}`)
      }
      const config = await p('config')
      assert.match(config.stdout, /DB_PASSWORD: "?\*\*\*"?/, config.stdout)
      for (const out of outputs) assert.ok(!out.includes(secret), `an output shows the secret:\n${out}`)
      const written = [...filesUnder(join(dir, 'run_cache')), ...filesUnder(join(dir, '.pulpo'))]
      assert.ok(written.some((f) => f.path.endsWith('docker-compose.yml')))
      for (const f of written) assert.ok(!f.text.includes(secret), `${f.path} holds the secret`)
      const compose = readFileSync(join(dir, 'run_cache', 'docker-compose.yml'), 'utf8')
      assert.match(compose, /DB_PASSWORD: \$\{PULPO_SECRET_DB_DB_PASSWORD\}/)
      // Nor is it in the container's labels (what `docker inspect` shows to anyone with the socket).
      assert.ok(!JSON.stringify(first.db.Config.Labels).includes(secret))
    })

    it('up with no change recreates nothing; plan says so', async () => {
      const plan = await p('plan', '--json', '--detailed-exitcode')
      assert.equal(plan.exitCode, 0, show(plan))
      const j = JSON.parse(plan.stdout) as { project: string; mode: string; changes: { service: string; action: string }[]; summary: Record<string, number> }
      assert.equal(j.project, project)
      assert.equal(j.mode, 'docker')
      assert.deepEqual(j.summary, { create: 0, update: 0, delete: 0, noop: 3 })
      assert.deepEqual(j.changes.map((c) => c.action), ['noop', 'noop', 'noop'])
      const r = await p('up')
      assert.equal(r.exitCode, 0, show(r))
      assert.match(r.stdout, /up to date/)
      const now = await byService(project)
      assert.deepEqual(ids(now), ids(first))
      for (const s of ['db', 'api', 'web']) assert.equal(now[s].State.StartedAt, first[s].State.StartedAt, `${s} was restarted`)
    })

    it('a changed env recreates only that container', async () => {
      writeYaml('bonjour')
      const plan = await p('plan', '--json', '--detailed-exitcode')
      assert.equal(plan.exitCode, 2, show(plan))
      const j = JSON.parse(plan.stdout) as { changes: { service: string; action: string; reasons: string[] }[]; summary: Record<string, number> }
      assert.deepEqual(j.summary, { create: 0, update: 1, delete: 0, noop: 2 })
      const web = j.changes.find((c) => c.service === 'web')!
      assert.equal(web.action, 'update')
      assert.ok(web.reasons.some((x) => x.includes('env.GREETING')), JSON.stringify(web))
      const r = await p('up')
      assert.equal(r.exitCode, 0, show(r))
      const now = await byService(project)
      assert.notEqual(now.web.Id, first.web.Id, 'web was recreated')
      assert.ok(now.web.Config.Env.includes('GREETING=bonjour'))
      assert.equal(now.db.Id, first.db.Id, 'db untouched')
      assert.equal(now.api.Id, first.api.Id, 'api untouched')
      assert.equal(now.db.State.StartedAt, first.db.State.StartedAt)
      assert.equal(now.api.State.StartedAt, first.api.State.StartedAt)
      first = now
    })

    it('logs: every line carries its service prefix; --tail N keeps the last N of each', async () => {
      const all = await p('logs')
      assert.equal(all.exitCode, 0, show(all))
      const lines = all.stdout.split('\n').filter(Boolean)
      assert.doesNotMatch(all.stdout, /\u001b\[/, 'no colour codes into a pipe')
      for (const name of ['db', 'api', 'web']) {
        assert.ok(lines.some((l) => new RegExp(`^${name}[-_]1\\s+\\| ${name} starting$`).test(l)), `${name}'s first line\n${all.stdout}`)
        assert.ok(lines.some((l) => new RegExp(`^${name}[-_]1\\s+\\| ${name} listening on \\d+$`).test(l)), `${name}'s last line\n${all.stdout}`)
      }
      for (const l of lines) assert.match(l, /^(db|api|web)[-_]1\s+\| /, `a line without a service prefix: ${l}`)
      const tail = await p('logs', '--tail', '1')
      assert.equal(tail.exitCode, 0, show(tail))
      const last = tail.stdout.split('\n').filter(Boolean).sort()
      assert.equal(last.length, 3, tail.stdout)
      for (const [i, name] of ['api', 'db', 'web'].entries()) assert.match(last[i], new RegExp(`^${name}[-_]1\\s+\\| ${name} listening on `))
      const one = await p('logs', 'api', '--tail', '5')
      assert.equal(one.exitCode, 0, show(one))
      for (const l of one.stdout.split('\n').filter(Boolean)) assert.match(l, /^api[-_]1\s+\| /)
    })

    it('down leaves no container and no network', async () => {
      const r = await p('down')
      assert.equal(r.exitCode, 0, show(r))
      assertNoStackTrace(r)
      assert.deepEqual(await leftovers(project), [])
      for (const c of Object.values(first)) assert.ok(everStarted(c))
      const status = await p('status', '--json')
      const s = JSON.parse(status.stdout) as { services: StatusRow[] }
      for (const row of s.services) assert.equal(row.actual, 'absent', row.name)
    })
  })
}
