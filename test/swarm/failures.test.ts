/**
 * Bad input in swarm mode, against the real cluster: a docker_host that does not answer, a daemon
 * that is a worker (not a manager), a service built but never pushed, and a placement no node
 * satisfies (its task stays pending: `up` says so within the service's timeout, not hang), and a
 * program that does not answer where its probe asks (its task runs but never passes its healthcheck),
 * and an image no node can pull (its tasks are rejected: `up` says so once they are, not at its deadline).
 */
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { assertNoStackTrace, ensureBinary, removeDir, show, tempDir } from '../cli/helpers.js'
import { dockerOn, pulpo, swarm, uniqueName, type Swarm } from './helpers.js'

function project(s: Swarm, name: string, opts: { dockerHost?: string; placement?: string; build?: boolean; listen?: number; image?: string } = {}) {
  const yaml = [
    'version: 1',
    `project: ${name}`,
    `registry: ${s.registry}`,
    'services:',
    '  web:',
    opts.build ? '    build: { context: app }' : `    image: ${opts.image ?? s.baseImage}`,
    `    command: [python3, -m, http.server, "${opts.listen ?? 8000}"]`,
    '    port: 8000',
    '    publish: false',
    '    ready: { tcp: true, timeout: 5s }',
    ...(opts.placement ? [`    deploy: { placement: ["${opts.placement}"] }`] : []),
    'environments:',
    '  prod:',
    '    mode: swarm',
    `    docker_host: ${opts.dockerHost ?? s.manager}`,
    '    endpoint_mode: dnsrr',
    '',
  ].join('\n')
  return tempDir({ 'pulpo.yaml': yaml, 'app/Dockerfile': `FROM ${s.baseImage}\n` })
}

describe('swarm mode: bad input', () => {
  let s: Swarm
  const dirs: string[] = []
  const names: string[] = []
  const make = (opts: Parameters<typeof project>[2] = {}) => {
    const name = uniqueName('bad')
    const dir = project(s, name, opts)
    dirs.push(dir)
    names.push(name)
    return { name, dir }
  }
  before(async () => {
    await ensureBinary()
    s = swarm()
  })
  after(async () => {
    for (const d of dirs) {
      await pulpo(['down', '-e', 'prod'], { cwd: d })
      removeDir(d)
    }
  })

  it('says which docker_host does not answer', async () => {
    const { dir } = make({ dockerHost: 'unix:///nonexistent/pulpo-test.sock' })
    for (const cmd of ['up', 'plan', 'status']) {
      const r = await pulpo([cmd, '-e', 'prod'], { cwd: dir })
      assert.equal(r.exitCode, 1, show(r))
      assertNoStackTrace(r)
      assert.match(r.stderr, /the Docker daemon at unix:\/\/\/nonexistent\/pulpo-test\.sock does not answer/)
      assert.match(r.stderr, /docker_host/)
    }
  })

  it('refuses a daemon that is a swarm worker, not a manager', async () => {
    const { dir } = make({ dockerHost: s.nodes[1] })
    const r = await pulpo(['up', '-e', 'prod'], { cwd: dir })
    assert.equal(r.exitCode, 1, show(r))
    assertNoStackTrace(r)
    assert.match(r.stderr, /is a swarm worker, not a manager/)
  })

  it('asks for pulpo build --push when a built service has no pushed image', async () => {
    const { dir } = make({ build: true })
    const r = await pulpo(['up', '-e', 'prod'], { cwd: dir })
    assert.equal(r.exitCode, 1, show(r))
    assertNoStackTrace(r)
    assert.match(r.stderr, /no pushed image of the current build of web/)
    assert.match(r.stderr, /pulpo build --push -e prod/)
  })

  it('says a task stays pending when no node satisfies its placement, within its timeout', async () => {
    const { name, dir } = make({ placement: 'node.labels.pulpo-test-nowhere == true' })
    const r = await pulpo(['up', '-e', 'prod'], { cwd: dir })
    assert.equal(r.exitCode, 1, show(r))
    assertNoStackTrace(r)
    assert.match(r.stderr, /✖ web: not ready after \d+s: 0\/1 tasks running; pending: no suitable node/)
    assert.match(r.stderr, /placement/)
    // The service is there, pending, for the user to see and fix.
    assert.match(await dockerOn(s.manager, 'service', 'ls', '--filter', `name=${name}_web`, '--format', '{{.Replicas}}'), /^0\/1/)
  })

  it('says a task that runs but never passes its healthcheck is that, not a placement problem', async () => {
    const { dir } = make({ listen: 8001 })
    const r = await pulpo(['up', '-e', 'prod'], { cwd: dir })
    assert.equal(r.exitCode, 1, show(r))
    assertNoStackTrace(r)
    assert.match(r.stderr, /✖ web: not ready after \d+s: 0\/1 tasks running; its task on \S+ started but has not passed its healthcheck \(tcp port 8000\)/)
    assert.match(r.stderr, /pulpo logs web/)
    assert.doesNotMatch(r.stderr, /placement/)
  })

  // The probe's timeout is longer than the test's: an `up` that waited for its deadline fails it.
  it('says an image no node can pull is that, after its tasks are rejected rather than at its deadline', { timeout: 150_000 }, async () => {
    const image = `${s.registry}/pulpo-test-never-pushed:nope`
    const { name, dir } = make({ image })
    const file = path.join(dir, 'pulpo.yaml')
    writeFileSync(file, readFileSync(file, 'utf8').replace('timeout: 5s', 'timeout: 5m'))
    const r = await pulpo(['up', '-e', 'prod'], { cwd: dir })
    assert.equal(r.exitCode, 1, show(r))
    assertNoStackTrace(r)
    assert.match(r.stderr, /✖ web: its tasks cannot start \(\d+ rejected in a row, none running\): .*pulpo-test-never-pushed/)
    assert.match(r.stderr, /every node pulls the image .*pulpo-test-never-pushed:nope from its registry/)
    assert.doesNotMatch(r.stderr, /not ready after/)
    // Left deployed for the user to look at, as a pending placement is, and status says it fails.
    assert.match(await dockerOn(s.manager, 'service', 'ls', '--filter', `name=${name}_web`, '--format', '{{.Replicas}}'), /^0\/1/)
    const human = await pulpo(['status', '-e', 'prod'], { cwd: dir })
    assert.match(human.stdout, /failing: web \(No such image: .*pulpo-test-never-pushed:nope\)/, show(human))
    assert.match(human.stdout, /^web +running +failing \(\d+ tasks\)/m, show(human))
    const json = JSON.parse((await pulpo(['status', '-e', 'prod', '--json'], { cwd: dir })).stdout)
    const web = json.services.find((x: { name: string }) => x.name === 'web')
    assert.ok(web.failing.tasks >= 3, JSON.stringify(web))
    assert.match(web.failing.error, /No such image/)
  })
})
