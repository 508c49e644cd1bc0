/**
 * `publish:` apart from `port:` (contract v1.1): a stock server listening on its usual port in its
 * container, published on another host port, on 127.0.0.1. A real engine and the built binary.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { BASE_IMAGE, cleanup, COMPOSE_VERSIONS, containersOf, ensureBinary, freePorts, get, NO_ENGINE, projectName, pulpo, show, tempProject } from './helpers.js'

const version = COMPOSE_VERSIONS[0]

describe('publish: another host port for a server on its usual one', { skip: NO_ENGINE || (version ? false : 'no Docker Compose installed') }, () => {
  before(ensureBinary)
  let dir = ''
  let project = ''
  const env = { PULPO_COMPOSE: version ?? 'v2' }
  after(() => (dir ? cleanup(dir, project, env) : undefined))

  it('the server listens on 8000 in its container and answers on the published port; status shows that port', async () => {
    project = projectName('publish')
    const [host] = await freePorts(1)
    dir = tempProject({
      'pulpo.yaml': `version: 1
project: ${project}
mode: docker
services:
  web:
    image: ${BASE_IMAGE}
    command: [python3, -m, http.server, "8000"]
    port: 8000
    publish: ${host}
    ready: { http: / }
`,
    })
    const r = await pulpo(['up'], { cwd: dir, env })
    assert.equal(r.exitCode, 0, show(r))
    const file = readFileSync(join(dir, 'run_cache', 'docker-compose.yml'), 'utf8')
    assert.match(file, new RegExp(`- 127\\.0\\.0\\.1:${host}:8000`), file)
    const answer = await get(host, '/')
    assert.ok('status' in answer && answer.status === 200, JSON.stringify(answer))
    // Bound to the loopback only, as every dev port.
    const [c] = await containersOf(project)
    const bindings = c.NetworkSettings.Ports["8000/tcp"] ?? []
    assert.deepEqual(bindings.map((b) => [b.HostIp, Number(b.HostPort)]), [['127.0.0.1', host]])
    const s = await pulpo(['status', '--json'], { cwd: dir, env })
    assert.equal(s.exitCode, 0, show(s))
    const row = JSON.parse(s.stdout).services.find((x: { name: string }) => x.name === 'web')
    assert.deepEqual(row.ports, [host])
  })
})
