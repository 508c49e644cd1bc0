/**
 * Reconciling against a real engine (the first Compose version installed): `restart: true` on a
 * dependency recreates the dependent and nothing else, `pulpo restart`, data of `persist: true`
 * services across `down` and gone with `down --volumes`, and a `compose_file:` of the user's,
 * driven as it is and never overwritten.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  APP_DOCKERFILE, buildImage, byService, cleanup, COMPOSE_VERSIONS, docker, ensureBinary, freePorts, get, HealthRecorder, ids, leftovers, NO_ENGINE, ns, projectName, pulpo, removeImages, show,
  tempProject, testImage,
} from './helpers.js'

const IMAGE = testImage('reconcile')
const version = COMPOSE_VERSIONS[0]
const env = { PULPO_COMPOSE: version ?? 'v2' }

describe('docker reconcile', { skip: NO_ENGINE || (version ? false : 'no Docker Compose installed') }, () => {
  before(async () => {
    await ensureBinary()
    await buildImage(IMAGE, APP_DOCKERFILE)
  })
  after(() => removeImages(IMAGE))

  it('restart: true on a dependency recreates its dependent; other dependents stay', async (t) => {
    const project = projectName('cascade')
    const [dbPort, apiPort] = await freePorts(2)
    const yaml = (level: string) => `version: 1
project: ${project}
mode: docker
services:
  db:
    image: ${IMAGE}
    command: [python3, /app/server.py, db]
    port: ${dbPort}
    env: { PORT: "${dbPort}", LEVEL: ${level}, DELAY: "2" }
    ready: { http: /health, interval: 500ms }
  api:
    image: ${IMAGE}
    command: [python3, /app/server.py, api]
    port: ${apiPort}
    env: { PORT: "${apiPort}" }
    depends_on: { db: { condition: healthy, restart: true } }
  worker:
    image: ${IMAGE}
    command: [python3, /app/server.py, worker]
    env: { PORT: "9000" }
    depends_on: { db: healthy }
`
    const dir = tempProject({ 'pulpo.yaml': yaml('one') })
    t.after(() => cleanup(dir, project, env))
    const up = await pulpo(['up'], { cwd: dir, env })
    assert.equal(up.exitCode, 0, show(up))
    const before = await byService(project)

    writeFileSync(join(dir, 'pulpo.yaml'), yaml('two'))
    const plan = await pulpo(['plan', '--json'], { cwd: dir, env })
    assert.equal(plan.exitCode, 0, show(plan))
    const changes = Object.fromEntries((JSON.parse(plan.stdout) as { changes: { service: string; action: string; reasons: string[] }[] }).changes.map((c) => [c.service, c]))
    assert.equal(changes.db.action, 'update')
    assert.ok(changes.db.reasons.some((r) => r.includes('env.LEVEL')), JSON.stringify(changes.db))
    assert.equal(changes.api.action, 'update')
    assert.ok(changes.api.reasons.some((r) => r.startsWith('dependency db')), JSON.stringify(changes.api))
    assert.equal(changes.worker.action, 'noop')

    const health = new HealthRecorder(project)
    const r = await pulpo(['up'], { cwd: dir, env })
    await health.stop()
    assert.equal(r.exitCode, 0, show(r))
    const now = await byService(project)
    assert.notEqual(now.db.Id, before.db.Id, 'db recreated (its env changed)')
    assert.notEqual(now.api.Id, before.api.Id, 'api recreated (restart: true on db)')
    assert.equal(now.worker.Id, before.worker.Id, 'worker untouched (no restart: true)')
    assert.equal(now.worker.State.StartedAt, before.worker.State.StartedAt)
    // The dependent was recreated once its new dependency was healthy (its condition).
    const healthy = health.probes('db', now.db.Id).find((p) => p.exitCode === 0)
    assert.ok(healthy, `the new db passed a healthcheck: ${JSON.stringify(health.probes('db'))}`)
    assert.ok(ns(now.api.State.StartedAt) > ns(healthy.end), `api started ${now.api.State.StartedAt}, db turned healthy ${healthy.end}`)
    for (const c of Object.values(now)) assert.equal(c.State.Status, 'running', c.Name)

    // pulpo restart NAME: a new container for it, the others as they were.
    const restart = await pulpo(['restart', 'worker'], { cwd: dir, env })
    assert.equal(restart.exitCode, 0, show(restart))
    const after = await byService(project)
    assert.ok(after.worker.Id !== now.worker.Id || after.worker.State.StartedAt !== now.worker.State.StartedAt, 'worker restarted')
    assert.equal(after.db.Id, now.db.Id)
    assert.equal(after.api.Id, now.api.Id)
    assert.equal(after.worker.State.Status, 'running')

    const again = await pulpo(['up'], { cwd: dir, env })
    assert.equal(again.exitCode, 0, show(again))
    assert.deepEqual(ids(await byService(project)), ids(after), 'nothing left to do')

    // pulpo restart (all): in dependency order, each dependent once db is healthy again.
    const recorder = new HealthRecorder(project)
    const all = await pulpo(['restart'], { cwd: dir, env })
    await recorder.stop()
    assert.equal(all.exitCode, 0, show(all))
    const restarted = await byService(project)
    const dbHealthy = recorder.probes('db', restarted.db.Id).find((p) => p.exitCode === 0)
    assert.ok(dbHealthy && ns(restarted.db.State.StartedAt) > ns(after.db.State.StartedAt), 'db restarted and turned healthy')
    for (const s of ['api', 'worker']) assert.ok(ns(restarted[s].State.StartedAt) > ns(dbHealthy.end), `${s} started ${restarted[s].State.StartedAt}, db healthy ${dbHealthy.end}`)
  })

  it('persist: true keeps data across down; down --volumes removes it', async (t) => {
    const project = projectName('vol')
    const [port] = await freePorts(1)
    const dir = tempProject({
      'pulpo.yaml': `version: 1
project: ${project}
mode: docker
services:
  store:
    image: ${IMAGE}
    command: [python3, /app/server.py, store]
    port: ${port}
    env: { PORT: "${port}", DATA_FILE: /data/first-start }
    ready: { log: "store listening on" }
    persist: true
  scratch:
    image: ${IMAGE}
    command: [python3, /app/server.py, scratch]
    env: { PORT: "9000" }
`,
    })
    t.after(() => cleanup(dir, project, env))
    const volume = `${project}_store-data`
    const firstStart = async () => (await docker('exec', (await byService(project)).store.Id, 'cat', '/data/first-start')).trim()

    const up = await pulpo(['up'], { cwd: dir, env })
    assert.equal(up.exitCode, 0, show(up))
    const written = await firstStart()
    assert.match(written, /^first started \d+$/)
    const compose = readFileSync(join(dir, 'run_cache', 'docker-compose.yml'), 'utf8')
    assert.match(compose, /- store-data:\/data\n/)
    assert.match(compose, /^volumes:\n {2}store-data:/m)
    assert.deepEqual(JSON.parse(await docker('volume', 'inspect', volume)).map((v: { Name: string }) => v.Name), [volume])

    const down = await pulpo(['down'], { cwd: dir, env })
    assert.equal(down.exitCode, 0, show(down))
    assert.deepEqual(await leftovers(project), [`volume ${volume}`], 'only the named volume is left')

    const up2 = await pulpo(['up'], { cwd: dir, env })
    assert.equal(up2.exitCode, 0, show(up2))
    assert.equal(await firstStart(), written, 'the data survived down')

    const gone = await pulpo(['down', '--volumes'], { cwd: dir, env })
    assert.equal(gone.exitCode, 0, show(gone))
    assert.match(gone.stdout, /data removed/)
    assert.deepEqual(await leftovers(project), [])

    const up3 = await pulpo(['up'], { cwd: dir, env })
    assert.equal(up3.exitCode, 0, show(up3))
    assert.notEqual(await firstStart(), written, 'a fresh volume after down --volumes')
  })

  it('compose_file: drives the user\'s own file with up, status, logs and down, and never writes it', async (t) => {
    const project = projectName('own')
    const [port] = await freePorts(1)
    const own = `# mine, not pulpo's
services:
  hello:
    image: ${IMAGE}
    command: ["python3", "/app/server.py", "hello"]
    environment:
      PORT: "${port}"
    ports:
      - "127.0.0.1:${port}:${port}"
`
    const dir = tempProject({ 'docker-compose.yml': own, 'pulpo.yaml': `version: 1\nproject: ${project}\nmode: docker\ncompose_file: docker-compose.yml\nservices: {}\n` })
    t.after(() => cleanup(dir, project, env))

    const up = await pulpo(['up'], { cwd: dir, env })
    assert.equal(up.exitCode, 0, show(up))
    const cs = await byService(project)
    assert.deepEqual(Object.keys(cs), ['hello'])
    assert.equal(cs.hello.State.Status, 'running')
    assert.match(cs.hello.Config.Labels['com.docker.compose.project.config_files'] ?? '', /docker-compose\.yml/)
    assert.deepEqual(await get(port, '/'), { status: 200, body: 'hello ok' })

    const status = await pulpo(['status', '--json'], { cwd: dir, env })
    assert.equal(status.exitCode, 0, show(status))
    const rows = (JSON.parse(status.stdout) as { services: { name: string; actual: string; container?: string }[]; notes: string[] })
    assert.deepEqual(rows.services.map((s) => [s.name, s.actual, s.container]), [['hello', 'running', cs.hello.Id]])
    assert.ok(rows.notes.some((n) => n.includes('docker-compose.yml')), JSON.stringify(rows.notes))

    const again = await pulpo(['up'], { cwd: dir, env })
    assert.equal(again.exitCode, 0, show(again))
    assert.equal((await byService(project)).hello.Id, cs.hello.Id, 'up again changes nothing')

    const logs = await pulpo(['logs'], { cwd: dir, env })
    assert.equal(logs.exitCode, 0, show(logs))
    assert.match(logs.stdout, /^hello[-_]1\s+\| hello listening on \d+$/m)

    const compile = await pulpo(['compile'], { cwd: dir, env })
    assert.equal(compile.exitCode, 0, show(compile))
    assert.equal(readFileSync(join(dir, 'docker-compose.yml'), 'utf8'), own, 'the file is untouched')
    assert.equal(existsSync(join(dir, 'run_cache', 'docker-compose.yml')), false, 'no generated compose file beside it')

    const down = await pulpo(['down'], { cwd: dir, env })
    assert.equal(down.exitCode, 0, show(down))
    assert.deepEqual(await leftovers(project), [])
    assert.equal(readFileSync(join(dir, 'docker-compose.yml'), 'utf8'), own)
  })
})
