/**
 * `docker_host` in docker mode: Compose against another daemon than the default one (a node of
 * the test cluster, reached through its socket as a remote server would be through ssh://). The
 * containers run there and nowhere else; status, logs and down talk to it too.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { assertNoStackTrace, ensureBinary, removeDir, show, tempDir } from '../cli/helpers.js'
import { dockerOn, pulpo, swarm, uniqueName, type Swarm } from './helpers.js'

describe('docker mode with docker_host', () => {
  let s: Swarm
  let name: string
  let dir: string
  const run = (...args: string[]) => pulpo([...args, '-e', 'remote'], { cwd: dir })
  const names = async (host: string) => (await dockerOn(host, 'ps', '--all', '--format', '{{.Names}}')).split('\n').filter((n) => n.startsWith(`${name}-`) || n.startsWith(`${name}_`))

  before(async () => {
    await ensureBinary()
    s = swarm()
    name = uniqueName('remote')
    // A port of its own in the node's network namespace, where other tests publish theirs.
    const port = 20000 + Math.floor(Math.random() * 10000)
    dir = tempDir({
      'pulpo.yaml': [
        'version: 1',
        `project: ${name}`,
        'services:',
        '  web:',
        `    image: ${s.baseImage}`,
        `    command: [python3, -m, http.server, "${port}"]`,
        `    port: ${port}`,
        '    ready: { http: /, interval: 1s }',
        '  job:',
        `    image: ${s.baseImage}`,
        '    command: [python3, -c, "print(42)"]',
        '    depends_on: { web: healthy }',
        'environments:',
        '  remote:',
        '    mode: docker',
        `    docker_host: ${s.nodes[1]}`,
        '',
      ].join('\n'),
    })
  })
  after(async () => {
    await run('down')
    removeDir(dir)
  })

  it('runs the project on the daemon docker_host names, and only there', async () => {
    const up = await run('up')
    assert.equal(up.exitCode, 0, show(up))
    assert.ok((await names(s.nodes[1])).length >= 2, 'containers on the remote daemon')
    assert.deepEqual(await names(s.nodes[2]), [])
    assert.deepEqual(await names(s.manager), [])
    const status = JSON.parse((await run('status', '--json')).stdout)
    assert.equal(status.services.find((x: { name: string }) => x.name === 'web').health, 'healthy')
    const logs = await run('logs', 'job')
    assert.match(logs.stdout, /42/)
    const down = await run('down')
    assert.equal(down.exitCode, 0, show(down))
    assert.deepEqual(await names(s.nodes[1]), [])
  })

  it('says which docker_host does not answer', async () => {
    const other = tempDir({ 'pulpo.yaml': `version: 1\nproject: ${name}x\nservices:\n  web:\n    image: ${s.baseImage}\nenvironments:\n  remote:\n    mode: docker\n    docker_host: unix:///nonexistent/pulpo-remote.sock\n` })
    try {
      const r = await pulpo(['up', '-e', 'remote'], { cwd: other })
      assert.equal(r.exitCode, 1, show(r))
      assertNoStackTrace(r)
      assert.match(r.stderr, /the Docker daemon at unix:\/\/\/nonexistent\/pulpo-remote\.sock does not answer/)
    } finally {
      removeDir(other)
    }
  })
})
