/**
 * A crash loop in docker mode: a container with no probe that exits 2 after 0.3 s and is restarted
 * by its policy fails `up` (its last log lines shown) instead of being reported up, and `status`
 * says crash loop. A real engine and the built binary.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { assertNoStackTrace, BASE_IMAGE, cleanup, COMPOSE_VERSIONS, ensureBinary, NO_ENGINE, projectName, pulpo, show, tempProject } from './helpers.js'

const version = COMPOSE_VERSIONS[0]

describe('a crash loop in docker mode', { skip: NO_ENGINE || (version ? false : 'no Docker Compose installed') }, () => {
  before(ensureBinary)
  let dir = ''
  let project = ''
  const env = { PULPO_COMPOSE: version ?? 'v2' }
  after(() => (dir ? cleanup(dir, project, env) : undefined))

  it('up exits 1 with the last log lines; status shows crash loop and is not in sync', async () => {
    project = projectName('crashloop')
    dir = tempProject({
      'pulpo.yaml': `version: 1
project: ${project}
mode: docker
services:
  worker:
    image: ${BASE_IMAGE}
    command: [sh, -c, "sleep 0.3; echo 'fatal: cannot reach queue'; exit 2"]
    restart: on-failure
    max_restarts: 50
`,
    })
    const r = await pulpo(['up'], { cwd: dir, env })
    assert.equal(r.exitCode, 1, show(r))
    assertNoStackTrace(r)
    assert.doesNotMatch(r.stdout, /worker: ready/, show(r))
    assert.match(r.stderr, /✖ worker: .*restarting \(crash loop\)/, show(r))
    assert.match(r.stderr, /│ fatal: cannot reach queue$/m, show(r))
    // Docker's backoff doubles: before long the container is seen between two runs.
    let s = await pulpo(['status'], { cwd: dir, env })
    for (let i = 0; i < 100 && !/crash loop/.test(s.stdout); i++) {
      await new Promise((res) => setTimeout(res, 200))
      s = await pulpo(['status'], { cwd: dir, env })
    }
    assert.match(s.stdout, /crash loop \(exit 2, \d+ restarts?\)/, show(s))
    assert.doesNotMatch(s.stdout, /in sync/, show(s))
  })
})
