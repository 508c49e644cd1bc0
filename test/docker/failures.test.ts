/**
 * What goes wrong, against a real engine: a service that exits 1 at start (pulpo up names it with
 * its last log lines, and what waits for it is not started), images that cannot be pulled (each
 * service's error its own, the others started), and Docker itself missing (no
 * `docker` on PATH) or stopped (DOCKER_HOST pointing at no daemon): a clear error, exit 1, no
 * stack trace, for every command that needs the engine.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  APP_DOCKERFILE, assertNoStackTrace, buildImage, byService, cleanup, COMPOSE_VERSIONS, ensureBinary, everStarted, freePorts, NO_ENGINE, projectName, pulpo, removeImages,
  show, tempProject, testImage, type Run,
} from './helpers.js'
import { removeDir } from '../cli/helpers.js'

const IMAGE = testImage('failures')

describe('services that fail at start', { skip: NO_ENGINE || false }, () => {
  before(async () => {
    await ensureBinary()
    await buildImage(IMAGE, APP_DOCKERFILE)
  })
  after(() => removeImages(IMAGE))

  for (const version of COMPOSE_VERSIONS) {
    it(`up exits 1 naming it with its last log lines; its dependents are not started (Compose ${version})`, async (t) => {
      const project = projectName(`fail${version}`)
      const env = { PULPO_COMPOSE: version }
      const [port, other] = await freePorts(2)
      // broken exits 1 at once. api waits for it to be healthy, web for api: neither may start.
      // jobs does not depend on it and starts as usual.
      const dir = tempProject({
        'pulpo.yaml': `version: 1
project: ${project}
mode: docker
services:
  broken:
    image: ${IMAGE}
    command: [python3, /app/server.py, broken]
    port: ${port}
    env: { PORT: "${port}", EXIT: "1" }
    ready: { http: /health, interval: 500ms, timeout: 30s }
  api:
    image: ${IMAGE}
    command: [python3, /app/server.py, api]
    env: { PORT: "8000" }
    depends_on: { broken: healthy }
  web:
    image: ${IMAGE}
    command: [python3, /app/server.py, web]
    env: { PORT: "8001" }
    depends_on: { api: started }
  jobs:
    image: ${IMAGE}
    command: [python3, /app/server.py, jobs]
    port: ${other}
    env: { PORT: "${other}" }
`,
      })
      t.after(() => cleanup(dir, project, env))
      const r = await pulpo(['up'], { cwd: dir, env })
      assert.equal(r.exitCode, 1, show(r))
      assertNoStackTrace(r)
      assert.match(r.stderr, /✖ broken: exited with code 1/, show(r))
      // Its last lines, from stdout and stderr. Lines of one stream keep their order; across the
      // two, Docker stamps each line when it reads its pipe, so lines written microseconds apart
      // on a loaded machine may swap.
      const shown = r.stderr.split('\n')
      const at = (text: string) => shown.findIndex((l) => l.endsWith(`│ ${text}`))
      for (const line of ['broken starting', 'broken: loading configuration', 'broken: fatal: cannot open the database']) assert.ok(at(line) > 0, `"${line}" shown\n${show(r)}`)
      assert.ok(at('broken starting') < at('broken: loading configuration'), show(r))
      assert.match(r.stderr, /not started: .*api \(broken failed\)/, show(r))
      assert.match(r.stderr, /web \(api was not started\)/, show(r))
      assert.doesNotMatch(r.stdout + r.stderr, /✔ (api|web): ready/, show(r))
      const cs = await byService(project)
      assert.equal(cs.broken.State.Status, 'exited')
      assert.equal(cs.broken.State.ExitCode, 1)
      // Compose v2 may leave a dependent created, never started; v1 creates nothing.
      for (const s of ['api', 'web']) assert.ok(!cs[s] || !everStarted(cs[s]), `${s} was started: ${JSON.stringify(cs[s]?.State)}`)
      assert.equal(cs.jobs.State.Status, 'running', 'a service that does not depend on it starts')

      const json = await pulpo(['up', '--json'], { cwd: dir, env })
      assert.equal(json.exitCode, 1, show(json))
      const results = (JSON.parse(json.stdout) as { results: { service: string; status: string; reason?: string; logs?: string[] }[] }).results
      const by = Object.fromEntries(results.map((x) => [x.service, x]))
      assert.equal(by.broken.status, 'failed')
      assert.ok(by.broken.logs?.some((l) => l.includes('fatal: cannot open the database')), JSON.stringify(by.broken))
      assert.equal(by.api.status, 'skipped')
      assert.equal(by.web.status, 'skipped')
    })
  }

  for (const version of COMPOSE_VERSIONS) {
    it(`each failed service's error is its own, and the others start (Compose ${version})`, async (t) => {
      const project = projectName(`pull${version}`)
      const env = { PULPO_COMPOSE: version }
      // A registry address on loopback where nothing listens: the pulls fail here, at once.
      const [nowhere, port] = await freePorts(2)
      const dir = tempProject({
        'pulpo.yaml': `version: 1
project: ${project}
mode: docker
services:
  first:
    image: 127.0.0.1:${nowhere}/pulpo-missing/first:1
  second:
    image: 127.0.0.1:${nowhere}/pulpo-missing/second:2
  fine:
    image: ${IMAGE}
    command: [python3, /app/server.py, fine]
    port: ${port}
    env: { PORT: "${port}" }
`,
      })
      t.after(() => cleanup(dir, project, env))
      const r = await pulpo(['up'], { cwd: dir, env })
      assert.equal(r.exitCode, 1, show(r))
      assertNoStackTrace(r)
      // The block of each failure: from its ✖ line to the next one.
      const blocks = Object.fromEntries(r.stderr.split(/\n(?=✖ )/).map((b) => [b.match(/^✖ (\w+):/)?.[1], b]))
      for (const [mine, other] of [['first', 'second'], ['second', 'first']]) {
        assert.ok(blocks[mine], `a failure of ${mine}:\n${show(r)}`)
        assert.match(blocks[mine], new RegExp(`^✖ ${mine}: its image 127\\.0\\.0\\.1:${nowhere}/pulpo-missing/${mine}:\\d could not be pulled: .*connection refused`), show(r))
        assert.doesNotMatch(blocks[mine], new RegExp(`pulpo-missing/${other}`), `${mine} reported with ${other}'s error:\n${show(r)}`)
      }
      assert.match(r.stdout + r.stderr, /✔ fine: (ready|running|started)/, show(r))
      assert.equal((await byService(project)).fine.State.Status, 'running')
    })
  }
})

describe('Docker absent or stopped', () => {
  let dir = ''
  before(async () => {
    await ensureBinary()
    dir = tempProject({ 'pulpo.yaml': 'version: 1\nproject: pt-nodocker\nmode: docker\nservices:\n  api:\n    image: example/api:1\n    port: 8000\n' })
  })
  after(() => removeDir(dir))

  for (const command of [['up'], ['status'], ['status', '--json'], ['plan'], ['down'], ['logs'], ['restart']]) {
    it(`pulpo ${command.join(' ')} with no docker on PATH: exit 1, says Docker is not installed`, async () => {
      // A PATH with everything but docker: an empty directory, and a directory of the usual
      // commands minus docker (the binary itself needs nothing on PATH).
      const bin = mkdtempSync(join(tmpdir(), 'pulpo-path-'))
      try {
        for (const tool of ['sh', 'env', 'python3']) {
          try {
            symlinkSync(`/usr/bin/${tool}`, join(bin, tool))
          } catch {}
        }
        const r = await pulpo(command, { cwd: dir, env: { PATH: bin } })
        assert.equal(r.exitCode, 1, show(r))
        assertNoStackTrace(r)
        assertError(r, command, 'docker-missing', /Docker is not installed \(no `docker` command on PATH\)/, /install Docker/)
      } finally {
        removeDir(bin)
      }
    })

    it(`pulpo ${command.join(' ')} with the daemon stopped: exit 1, says it does not answer, with a hint`, { skip: COMPOSE_VERSIONS.length ? false : 'no docker CLI' }, async () => {
      const r = await pulpo(command, { cwd: dir, env: { DOCKER_HOST: 'unix:///nonexistent.sock' } })
      assert.equal(r.exitCode, 1, show(r))
      assertNoStackTrace(r)
      assertError(r, command, 'docker-down', /the Docker daemon does not answer: .*nonexistent\.sock/, /start it \(systemctl start docker, or run dockerd\)/)
    })
  }
})

/** The error as text (message and hint on stderr) or, with --json, as {error: {code, message, hints}} on stdout. */
function assertError(r: Run, command: string[], code: string, message: RegExp, hint: RegExp) {
  if (command.includes('--json')) {
    const e = (JSON.parse(r.stdout) as { error: { code: string; message: string; hints: string[] } }).error
    assert.equal(e.code, code, show(r))
    assert.match(e.message, message, show(r))
    assert.ok(e.hints.some((h) => hint.test(h)), show(r))
    return
  }
  assert.match(r.stderr, message, show(r))
  assert.match(r.stderr, new RegExp(`hint: ${hint.source}`), show(r))
  // Nothing as if the engine had answered "no containers": no plan, no status rows.
  assert.doesNotMatch(r.stdout, /absent|create|ready/, show(r))
}
