/**
 * pulpo interrupted or killed mid-`up` in docker mode, against a real engine: Ctrl-C (SIGINT to
 * pulpo's process group, as a terminal sends it) while the containers are being created, while a
 * dependency's readiness is awaited and while an image builds; SIGTERM; and SIGKILL of pulpo alone
 * (its children must die with it). The moments compose has a part in (create, recreate, build) are
 * tried under each Compose version installed (v2, v1), the others under the first.
 *
 * After each: the exit code and a one-line message without a stack trace, no process of pulpo's
 * left, the project's lock free (or, after SIGKILL, taken over without a manual step), `status`
 * telling what runs, the persisted data kept, the next `up` converging (and a second one changing
 * nothing), and `down` leaving no container or network of the project.
 *
 * The project: store (persist: true, writes its first start's time in its volume) ← db (ready once
 * it logs that it listens, which waits for a file the test creates in its container: a readiness
 * that takes as long as the test wants) ← api; and, for the build, web (`build:` with a RUN step
 * that sleeps) after api.
 */
import { after, before, describe, it, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { assertNothingLeft, childRunning, killSurvivors, processes, spawnPulpo, survivors, until, type Background } from './background.js'
import {
  APP_DOCKERFILE, assertNoStackTrace, buildImage, byService, cleanup, COMPOSE_VERSIONS, docker, ensureBinary, everStarted, freePorts, leftovers, NO_ENGINE, projectName, pulpo, removeImages, show, tempProject, testImage,
  type Inspected, type Run,
} from './helpers.js'

const IMAGE = testImage('interrupt')

before(async () => {
  if (NO_ENGINE) return
  await ensureBinary()
  await buildImage(IMAGE, APP_DOCKERFILE)
})
after(() => removeImages(IMAGE))

interface StatusRow {
  name: string
  actual: string
  health: string
  container?: string
}

/** A project of the test's own: its directory, name, and the sleep its image build runs (unique to it). */
class Project {
  readonly name: string
  readonly dir: string
  /** `sleep 25.<digits>`: the build's RUN step, found among the machine's processes while it runs. */
  readonly buildSleep = `25.${Date.now() % 1_000_000}${Math.floor(Math.random() * 1000)}`
  firstStart?: string
  /** The pulpo processes it started in the background. */
  readonly started: Background[] = []

  /** PULPO_COMPOSE: the Compose version pulpo drives. */
  readonly env: Record<string, string>

  constructor(what: string, ports: number[], opts: { build: boolean; compose: string }) {
    this.name = projectName(what)
    this.env = { PULPO_COMPOSE: opts.compose }
    const web = `  web:
    build: { context: web }
    port: ${ports[3]}
    env: { PORT: "${ports[3]}" }
    depends_on: { api: started }
`
    this.dir = tempProject({
      'pulpo.yaml': `version: 1
project: ${this.name}
mode: docker
services:
  store:
    image: ${IMAGE}
    command: [python3, /app/server.py, store]
    port: ${ports[0]}
    env: { PORT: "${ports[0]}", DATA_FILE: /data/first-start, VERSION: "1" }
    ready: { log: "store listening on" }
    persist: true
  db:
    image: ${IMAGE}
    command: [python3, /app/server.py, db]
    port: ${ports[1]}
    env: { PORT: "${ports[1]}", GATE: /tmp/open }
    depends_on: { store: healthy }
    ready: { log: "db listening on", timeout: 300s }
  api:
    image: ${IMAGE}
    command: [python3, /app/server.py, api]
    port: ${ports[2]}
    env: { PORT: "${ports[2]}" }
    depends_on: { db: healthy }
    ready: { http: /health, interval: 500ms, timeout: 60s }
${opts.build ? web : ''}`,
      ...(opts.build ? { 'web/Dockerfile': `FROM ${IMAGE}\nRUN echo building && sleep ${this.buildSleep}\nCMD ["python3", "/app/server.py", "web"]\n` } : {}),
    })
  }

  /** A new VERSION of store: the next up recreates its container. */
  changeStore(): void {
    const file = join(this.dir, 'pulpo.yaml')
    writeFileSync(file, readFileSync(file, 'utf8').replace('VERSION: "1"', 'VERSION: "2"'))
  }

  run(...args: string[]): Promise<Run> {
    return pulpo(args, { cwd: this.dir, env: this.env })
  }

  up(): Background {
    const up = spawnPulpo(['up'], { cwd: this.dir, env: this.env })
    this.started.push(up)
    return up
  }

  get lock() {
    return join(this.dir, '.pulpo', this.name, 'lock')
  }

  async containers(): Promise<Record<string, Inspected>> {
    return byService(this.name)
  }

  /** The time store wrote in its volume on its first start, if it has started. */
  async storedData(): Promise<string | undefined> {
    const store = (await this.containers()).store
    if (!store || store.State.Status !== 'running') return undefined
    return (await docker('exec', store.Id, 'cat', '/data/first-start').catch(() => '')).trim() || undefined
  }

  /** db logs that it waits for its gate: started, and not ready. */
  async dbWaiting(): Promise<boolean> {
    const db = (await this.containers()).db
    if (!db || db.State.Status !== 'running') return false
    return (await docker('logs', db.Id).catch(() => '')).includes('db waiting for /tmp/open')
  }

  /** Lets db become ready: creates its gate file once its container runs. */
  async openGate(): Promise<void> {
    await until(async () => {
      const db = (await this.containers()).db
      return !!db && db.State.Status === 'running' && (await docker('exec', db.Id, 'touch', '/tmp/open').then(() => true, () => false))
    }, 'db runs and its gate is open')
  }

  /** The build's RUN step is running. */
  building(): boolean {
    return processes().some((p) => p.args.includes(this.buildSleep))
  }
}


/** A new project, removed (containers, volume, network, built image) when the test ends. */
async function newProjectOf(t: TestContext, what: string, opts: { build: boolean; compose: string }): Promise<Project> {
  const p = new Project(what, await freePorts(4), opts)
  t.after(async () => {
    for (const up of p.started) {
      up.kill('SIGKILL')
      killSurvivors(up.pid, p.dir)
    }
    await cleanup(p.dir, p.name, p.env)
    // Compose v2 names a built image PROJECT-SERVICE, v1 PROJECT_SERVICE.
    if (opts.build) await removeImages(`${p.name}-web`, `${p.name}_web`)
  })
  return p
}

/** Waits for a moment of `up` (looking every `everyMs`); fails with its output should it end first. */
async function during(up: Background, what: string, cond: () => boolean | Promise<boolean>, everyMs?: number) {
  await until(async () => {
    assert.ok(up.running(), `up ended before ${what}\n${up.output()}`)
    return cond()
  }, what, up.output, undefined, everyMs)
}

/** An interrupted up: exit 130, the one-line message, no stack trace, no process left, the lock free. */
async function assertInterrupted(p: Project, up: Background, r: Run) {
  assert.equal(r.exitCode, 130, show(r))
  assertNoStackTrace(r)
  const said = r.stderr.split('\n').filter((l) => /^interrupted\b/.test(l))
  assert.deepEqual(said, ['interrupted: services started so far keep running; `pulpo up` continues, `pulpo down` stops them'], show(r))
  await assertNothingLeft(up.pid, p.dir)
  assert.ok(!existsSync(p.lock), 'the lock is released')
}

/** `status` answers, and says of each service what its container is doing. */
async function assertStatusTrue(p: Project) {
  const r = await p.run('status', '--json')
  assert.equal(r.exitCode, 0, show(r))
  assertNoStackTrace(r)
  const rows = (JSON.parse(r.stdout) as { services: StatusRow[] }).services
  const containers = await p.containers()
  for (const row of rows) {
    const c = containers[row.name]
    assert.equal(row.actual === 'running', c?.State.Status === 'running', `${row.name}: status says ${row.actual}, its container is ${c?.State.Status ?? 'absent'}`)
    if (c?.State.Status === 'running') assert.equal(row.container, c.Id, row.name)
  }
  const text = await p.run('status')
  assert.equal(text.exitCode, 0, show(text))
  assert.match(text.stdout, /pending change|in sync/, show(text))
}

/**
 * The next `up` converges (db's gate opened as it runs), keeping what ran before untouched and the
 * data; a second `up` changes nothing; `down` keeps only the volume and `down --volumes` nothing.
 */
async function assertConverges(p: Project, services: string[], kept: Record<string, Inspected>) {
  const up = p.run('up')
  await p.openGate()
  const r = await up
  assert.equal(r.exitCode, 0, show(r))
  assertNoStackTrace(r)
  // (Up to date when the interrupted up got as far as that: compose may have finished its recreate.)
  assert.match(r.stdout, new RegExp(`${p.name} is (up \\(${services.length} services, \\d+ changed\\)|up to date \\(${services.length} services running\\))`), show(r))
  assert.ok(!existsSync(p.lock), 'the lock is released')
  const now = await p.containers()
  assert.deepEqual(Object.keys(now).sort(), [...services].sort())
  for (const s of services) assert.equal(now[s].State.Status, 'running', s)
  for (const [s, c] of Object.entries(kept)) assert.equal(now[s].Id, c.Id, `${s}, running before the interruption, was not recreated`)
  const data = await p.storedData()
  assert.match(data ?? '', /^first started \d+$/)
  if (p.firstStart) assert.equal(data, p.firstStart, 'the persisted data is kept')

  const again = await p.run('up')
  assert.equal(again.exitCode, 0, show(again))
  assert.match(again.stdout, new RegExp(`${p.name} is up to date \\(${services.length} services running\\)`), show(again))
  assert.deepEqual(Object.fromEntries(Object.entries(await p.containers()).map(([s, c]) => [s, c.Id])), Object.fromEntries(Object.entries(now).map(([s, c]) => [s, c.Id])), 'the second up changed nothing')

  const down = await p.run('down')
  assert.equal(down.exitCode, 0, show(down))
  assert.deepEqual(await leftovers(p.name), [`volume ${p.name}_store-data`], 'down keeps only the data')
  const gone = await p.run('down', '--volumes')
  assert.equal(gone.exitCode, 0, show(gone))
  assert.deepEqual(await leftovers(p.name), [])
}

/** What runs once store is up and db waits for its gate: store and db, api not started. */
async function assertStoppedAtDb(p: Project) {
  const c = await p.containers()
  assert.equal(c.store?.State.Status, 'running', 'store, ready before the interruption, keeps running')
  assert.equal(c.db?.State.Status, 'running', 'db, started before the interruption, keeps running')
  assert.ok(!c.api || !everStarted(c.api), 'api, waiting for db, was never started')
  p.firstStart = await p.storedData()
  assert.match(p.firstStart ?? '', /^first started \d+$/)
  return { store: c.store, db: c.db }
}

const ALL = ['store', 'db', 'api']

// What compose does (create, recreate, build) under each Compose version installed; the rest,
// which compose has no part in, under the first.
for (const compose of COMPOSE_VERSIONS.length ? COMPOSE_VERSIONS : ['v2' as const]) {
  describe(`pulpo interrupted mid-up (docker mode, Compose ${compose})`, { skip: NO_ENGINE || (COMPOSE_VERSIONS.length ? false : 'no Docker Compose installed') }, () => {
    const once = compose === (COMPOSE_VERSIONS[0] ?? 'v2') ? {} : { skip: 'compose has no part in it: run under the first Compose version only' }
    const newProject = (t: TestContext, what: string, opts: { build: boolean } = { build: false }) => newProjectOf(t, `${what}${compose}`, { ...opts, compose })

    it('Ctrl-C while the containers are being created: exit 130, nothing left, and the next up converges', async (t) => {
      const p = await newProject(t, 'intcreate')
      const up = p.up()
      await during(up, 'compose creates the containers', () => childRunning(up.pid, 'up', '--no-start'))
      up.interrupt('SIGINT')
      await assertInterrupted(p, up, await up.exited)
      const c = await p.containers()
      for (const [s, x] of Object.entries(c)) assert.ok(!everStarted(x), `${s} was not started after Ctrl-C`)
      await assertStatusTrue(p)
      await assertConverges(p, ALL, {})
    })

    // SIGTERM (a service manager's or `kill`'s stop, to pulpo alone) is taken as Ctrl-C is: the same
    // clean stop, and the same exit code, 130, which the reference documents as "interrupted" (as
    // local mode does).
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      it(`${sig === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'} while waiting for a dependency's readiness: exit 130, what started keeps running, nothing new starts, the next up converges without restarting it`, once, async (t) => {
        const p = await newProject(t, sig === 'SIGINT' ? 'intwait' : 'intterm')
        const up = p.up()
        await during(up, 'db waits for its gate', () => p.dbWaiting())
        if (sig === 'SIGINT') up.interrupt(sig)
        else up.kill(sig)
        const r = await up.exited
        await assertInterrupted(p, up, r)
        assert.match(r.stderr, /^✖ db: interrupted$/m, show(r))
        assert.match(r.stderr, /not started: api \(db was interrupted\)/, show(r))
        const kept = await assertStoppedAtDb(p)
        await assertStatusTrue(p)
        await assertConverges(p, ALL, kept)
      })
    }

    it("SIGKILL of pulpo alone while waiting: no child of it survives, and the next up takes the stale lock over and converges", once, async (t) => {
      const p = await newProject(t, 'intkill')
      const up = p.up()
      await during(up, 'db waits for its gate', () => p.dbWaiting())
      assert.ok(childRunning(up.pid, 'events'), `docker events runs while up waits\n${up.output()}`)
      up.kill('SIGKILL')
      const r = await up.exited
      assert.equal(r.exitCode, 137, show(r))
      await assertNothingLeft(up.pid, p.dir)
      assert.ok(existsSync(p.lock), 'a SIGKILLed pulpo leaves its lock, to be taken over')
      const kept = await assertStoppedAtDb(p)
      await assertStatusTrue(p)
      await assertConverges(p, ALL, kept)
    })

    it('Ctrl-C while compose recreates a changed service: says it was interrupted, keeps the data, and the next up converges with the new config', async (t) => {
      const p = await newProject(t, 'intrecreate')
      const first = p.run('up')
      await p.openGate()
      assert.equal((await first).exitCode, 0)
      p.firstStart = await p.storedData()
      p.changeStore()
      const up = p.up()
      // Compose's recreate lasts about a second: looked for often, to be caught while it runs.
      await during(up, 'compose recreates store', () => childRunning(up.pid, '--force-recreate'), 20)
      up.interrupt('SIGINT')
      const r = await up.exited
      await assertInterrupted(p, up, r)
      assert.match(r.stderr, /^✖ store: interrupted$/m, show(r))
      assert.doesNotMatch(r.stderr, /^✖ \w+: *$/m, `a failure without a reason\n${show(r)}`)
      await assertStatusTrue(p)
      await assertConverges(p, ALL, {})
    })

    it('Ctrl-C while waiting for the lock another up holds: exit 130, says so, changes nothing, and the other up goes on', once, async (t) => {
      const p = await newProject(t, 'intlock')
      const first = p.up()
      await during(first, 'db waits for its gate', () => p.dbWaiting())
      // What the first up runs in the project's directory (a spare supervisor) is not the second's.
      const before = new Set(survivors(first.pid, p.dir).map((x) => x.pid))
      const second = p.up()
      await during(second, 'the second up waits for the lock', () => second.output().includes('waiting for pulpo up'))
      second.interrupt('SIGINT')
      const r = await second.exited
      assert.equal(r.exitCode, 130, show(r))
      assertNoStackTrace(r)
      assert.match(r.stderr, new RegExp(`^✖ interrupted while waiting for pulpo up \\(pid ${first.pid}, since [^)]+\\) to finish: nothing was changed$`, 'm'), show(r))
      await assertNothingLeft(second.pid, p.dir, (x) => x.pid === first.pid || x.session === first.pid || before.has(x.pid))
      assert.ok(first.running(), 'the first up goes on')
      assert.equal(JSON.parse(readFileSync(p.lock, 'utf8')).pid, first.pid, 'the lock is still the first up\'s')
      await p.openGate()
      const done = await first.exited
      assert.equal(done.exitCode, 0, `${first.output()}`)
      assert.match(done.stdout, new RegExp(`${p.name} is up \\(3 services, 3 changed\\)`))
      assert.ok(!existsSync(p.lock), 'the lock is released')
    })

    it('Ctrl-C during an image build: the build stops, nothing is left, and the next up builds and converges', async (t) => {
      const p = await newProject(t, 'intbuild', { build: true })
      const up = p.up()
      await during(up, "web's image builds", () => p.building())
      up.interrupt('SIGINT')
      await assertInterrupted(p, up, await up.exited)
      await until(() => !p.building(), 'the build step is gone')
      await assertStatusTrue(p)
      await assertConverges(p, [...ALL, 'web'], {})
    })

    // Compose v1 builds with a `docker build` child of its own, which outlives it (README).
    it('SIGKILL of pulpo alone during an image build: compose and the build die with it, and the next up converges', { skip: compose === 'v1' && "Compose v1's own docker build outlives a SIGKILLed pulpo until it writes" }, async (t) => {
      const p = await newProject(t, 'intbuildkill', { build: true })
      const up = p.up()
      await during(up, "web's image builds", () => p.building())
      up.kill('SIGKILL')
      const r = await up.exited
      assert.equal(r.exitCode, 137, show(r))
      await assertNothingLeft(up.pid, p.dir)
      await until(() => !p.building(), 'the build step is gone')
      assert.deepEqual(Object.keys(await p.containers()), [], 'compose, killed with pulpo, created nothing after it')
      await assertStatusTrue(p)
      await assertConverges(p, [...ALL, 'web'], {})
    })
  })
}
