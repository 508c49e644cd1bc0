/**
 * A service without a probe whose tasks keep exiting, on the real cluster: `up` says so, as local
 * and docker mode do (a run must stay up `ready.settle`), instead of calling it ready whenever one
 * look happens to catch its replicas between two crashes. Created, left alone by the plan, fixed
 * by an update, and broken by one (Swarm's rolling update rolls it back).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { assertNoStackTrace, ensureBinary, removeDir, show, tempDir, writeFiles } from '../cli/helpers.js'
import { dockerOn, pulpo, swarm, uniqueName, type Swarm } from './helpers.js'

const STEADY = '[python3, -c, "import time; print(\'steady\', flush=True); time.sleep(100000)"]'
/** Exits 3 shortly after it starts, inside the default settle period. */
const QUICK = '[python3, -c, "import time; print(\'quick starting\', flush=True); time.sleep(0.3); raise SystemExit(3)"]'
/** The audit's program: exits 3 after a second, so it is given a longer settle period. */
const LEAKY = '[python3, -c, "import time; print(\'leaky starting\', flush=True); time.sleep(1); raise SystemExit(3)"]'

function yaml(s: Swarm, name: string, quick: string, leaky: string): string {
  return [
    'version: 1',
    `project: ${name}`,
    'services:',
    '  quick:',
    `    image: ${s.baseImage}`,
    `    command: ${quick}`,
    '    deploy: { replicas: 2 }',
    '  leaky:',
    `    image: ${s.baseImage}`,
    `    command: ${leaky}`,
    '    ready: { settle: 4s }',
    'environments:',
    '  prod:',
    '    mode: swarm',
    `    docker_host: ${s.manager}`,
    '    endpoint_mode: dnsrr',
    '',
  ].join('\n')
}

describe('swarm mode: a service whose tasks keep exiting', () => {
  let s: Swarm
  let dir: string
  let name: string
  before(async () => {
    await ensureBinary()
    s = swarm()
    name = uniqueName('crash')
    dir = tempDir({ 'pulpo.yaml': yaml(s, name, QUICK, LEAKY) })
  })
  after(async () => {
    await pulpo(['down', '-e', 'prod'], { cwd: dir })
    removeDir(dir)
  })

  it('fails up with the exit code and the last log lines, naming each service', async () => {
    const r = await pulpo(['up', '-e', 'prod'], { cwd: dir })
    assert.equal(r.exitCode, 1, show(r))
    assertNoStackTrace(r)
    assert.match(r.stderr, /✖ quick: its task on \S+ exited with code 3; restarting \(crash loop\)/, show(r))
    assert.match(r.stderr, /✖ leaky: its task on \S+ exited with code 3; restarting \(crash loop\)/, show(r))
    assert.match(r.stderr, /last \d+ log lines? of quick:\n(\s+│.*\n)*\s+│ quick starting/, show(r))
    assert.match(r.stderr, /last \d+ log lines? of leaky:\n(\s+│.*\n)*\s+│ leaky starting/, show(r))
    assert.doesNotMatch(r.stdout + r.stderr, /ready \(/)
    // Deployed still, for the user to look at.
    assert.match(await dockerOn(s.manager, 'service', 'ls', '--filter', `name=${name}_quick`, '--format', '{{.Replicas}}'), /\/2/)
  })

  it('fails an unchanged up again: a service left alone is ready only once it stays up', async () => {
    const r = await pulpo(['up', '-e', 'prod'], { cwd: dir })
    assert.equal(r.exitCode, 1, show(r))
    assertNoStackTrace(r)
    assert.match(r.stderr, /✖ quick: its task on \S+ exited with code 3; restarting \(crash loop\)/, show(r))
  })

  it('is ready once an update fixes it', async () => {
    writeFiles(dir, { 'pulpo.yaml': yaml(s, name, STEADY, STEADY) })
    const r = await pulpo(['up', '-e', 'prod'], { cwd: dir })
    assert.equal(r.exitCode, 0, show(r))
    assert.match(r.stdout, /✔ quick: ready/)
    assert.match(r.stdout, /✔ leaky: ready/)
    // And an unchanged up finds it settled.
    const again = await pulpo(['up', '-e', 'prod'], { cwd: dir })
    assert.equal(again.exitCode, 0, show(again))
  })

  it('fails an update that makes it exit: Swarm rolls it back and up says why', async () => {
    writeFiles(dir, { 'pulpo.yaml': yaml(s, name, QUICK, STEADY) })
    const r = await pulpo(['up', '-e', 'prod'], { cwd: dir })
    assert.equal(r.exitCode, 1, show(r))
    assertNoStackTrace(r)
    assert.match(r.stderr, /✖ quick: its update failed and Swarm rolled it back.*non-zero exit \(3\)/, show(r))
    assert.match(r.stderr, /│ quick starting/, show(r))
  })
})
