/**
 * Healthchecks in images without curl or wget. The generated checks fall back through curl, wget,
 * python3 and bash's /dev/tcp: local/python:bookworm has only python3, and a second image has
 * neither curl, wget nor python3 (its server runs from an interpreter renamed off PATH), so there
 * the bash fallback is the one that answers. Each probe must pass against a live server and must
 * fail against a path that answers 404, proving it checks the status, not merely the connection.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  APP_DOCKERFILE, BASE_IMAGE, buildImage, byService, cleanup, COMPOSE_VERSIONS, docker, ensureBinary, freePorts, HealthRecorder, NO_ENGINE, projectName, pulpo, removeImages, show, tempProject,
  testImage,
} from './helpers.js'

const PYTHON_ONLY = testImage('python-only')
const BASH_ONLY = testImage('bash-only')
// The server keeps a Python interpreter, but not as `python3` on PATH: the healthcheck cannot use it.
const BASH_ONLY_DOCKERFILE = `FROM ${BASE_IMAGE}
COPY server.py /app/server.py
RUN cp -L /usr/bin/python3 /opt/server-python && rm -f /usr/bin/python3* /usr/local/bin/python3*
CMD ["/opt/server-python", "/app/server.py", "app"]
`

const version = COMPOSE_VERSIONS[0]

describe('healthchecks without curl or wget', { skip: NO_ENGINE || (version ? false : 'no Docker Compose installed') }, () => {
  before(async () => {
    await ensureBinary()
    await buildImage(PYTHON_ONLY, APP_DOCKERFILE)
    await buildImage(BASH_ONLY, BASH_ONLY_DOCKERFILE)
  })
  after(() => removeImages(PYTHON_ONLY, BASH_ONLY))

  it('the images lack what the earlier fallbacks need', async () => {
    const has = async (image: string, tool: string) => {
      const out = await docker('run', '--rm', '--entrypoint', '/bin/sh', image, '-c', `command -v ${tool} || echo none`)
      return out.trim() !== 'none'
    }
    for (const tool of ['curl', 'wget']) {
      assert.equal(await has(PYTHON_ONLY, tool), false, `${PYTHON_ONLY} has ${tool}`)
      assert.equal(await has(BASH_ONLY, tool), false, `${BASH_ONLY} has ${tool}`)
    }
    assert.equal(await has(PYTHON_ONLY, 'python3'), true)
    assert.equal(await has(BASH_ONLY, 'python3'), false)
    assert.equal(await has(BASH_ONLY, 'bash'), true)
  })

  for (const [image, which] of [[PYTHON_ONLY, 'python3'], [BASH_ONLY, 'bash /dev/tcp']] as const) {
    it(`http and tcp probes pass through the ${which} fallback, and an http probe of a 404 fails`, async (t) => {
      const project = projectName(image === PYTHON_ONLY ? 'hpy' : 'hbash')
      const env = { PULPO_COMPOSE: version }
      const [web, tcp, missing] = await freePorts(3)
      const server = image === PYTHON_ONLY ? 'python3' : '/opt/server-python'
      const yaml = (withMissing: boolean) => `version: 1
project: ${project}
mode: docker
services:
  web:
    image: ${image}
    command: [${server}, /app/server.py, web]
    port: ${web}
    env: { PORT: "${web}", DELAY: "2" }
    ready: { http: /health, interval: 500ms, timeout: 60s }
  raw:
    image: ${image}
    command: [${server}, /app/server.py, raw]
    port: ${tcp}
    env: { PORT: "${tcp}", DELAY: "2" }
    ready: { tcp: ${tcp}, interval: 500ms, timeout: 60s }
${withMissing ? `  missing:
    image: ${image}
    command: [${server}, /app/server.py, missing]
    port: ${missing}
    env: { PORT: "${missing}" }
    ready: { http: /missing, interval: 500ms, timeout: 3s }
` : ''}`
      const dir = tempProject({ 'pulpo.yaml': yaml(false) })
      t.after(() => cleanup(dir, project, env))

      const health = new HealthRecorder(project)
      const r = await pulpo(['up'], { cwd: dir, env })
      await health.stop()
      assert.equal(r.exitCode, 0, show(r))
      const cs = await byService(project)
      for (const s of ['web', 'raw']) {
        assert.equal(cs[s].State.Health?.Status, 'healthy', `${s}: ${JSON.stringify(cs[s].State.Health)}`)
        // Before the server listened (DELAY), the same check failed: it tests the server.
        const results = health.probes(s).map((p) => p.exitCode === 0)
        assert.ok(results.indexOf(false) >= 0 && results.indexOf(false) < results.indexOf(true), `${s}: ${JSON.stringify(health.probes(s))}`)
      }

      // A server that answers 404 on the probe's path never turns healthy: pulpo up fails, naming it.
      const { writeFileSync } = await import('node:fs')
      writeFileSync(`${dir}/pulpo.yaml`, yaml(true))
      const bad = await pulpo(['up'], { cwd: dir, env })
      assert.equal(bad.exitCode, 1, show(bad))
      assert.match(bad.stderr, new RegExp(`✖ missing: unhealthy \\(GET /missing on port ${missing}\\)`), show(bad))
      const m = (await byService(project)).missing
      assert.equal(m.State.Status, 'running', 'the server itself runs')
      assert.equal(m.State.Health?.Status, 'unhealthy')
      assert.ok(m.State.Health!.Log.every((p) => p.ExitCode !== 0), JSON.stringify(m.State.Health))
    })
  }
})
