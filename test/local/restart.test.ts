/**
 * `pulpo restart` takes along the dependents that declare `restart: true` (as `up` does), and a
 * service an environment disables is said to be. Real processes through the built binary.
 */
import { after, afterEach, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { cleanupAll, ensureBinary, show, svc, TestProject } from './helpers.js'

before(ensureBinary)
afterEach(cleanupAll)
after(cleanupAll)

describe('restart and disabled services', () => {
  test('restart db restarts the dependents with restart: true on db, and leaves the others running', async () => {
    const p = new TestProject(`version: 1
project: restartdeps
services:
  db:
    command: ${svc('db', '--ready-line', 'db ready')}
    ready: { log: db ready }
  api:
    command: ${svc('api')}
    depends_on: { db: { condition: healthy, restart: true } }
  worker:
    command: ${svc('worker')}
    depends_on: { db: healthy }
`)
    await p.up()
    const before = { db: (await p.service('db')).pid, api: (await p.service('api')).pid, worker: (await p.service('worker')).pid }
    const r = await p.run(['restart', 'db'])
    assert.equal(r.exitCode, 0, show(r))
    assert.match(r.stdout, /restarted db \(and api, which restart with it\)/, show(r))
    const afterPids = { db: (await p.service('db')).pid, api: (await p.service('api')).pid, worker: (await p.service('worker')).pid }
    assert.notEqual(afterPids.db, before.db)
    assert.notEqual(afterPids.api, before.api, 'api opted in: it restarts with db')
    assert.equal(afterPids.worker, before.worker, 'worker did not opt in')
    assert.equal(p.eventsOf('api', 'start').length, 2, p.eventLog())
  })

  test('a running service that the environment disables is planned as disabled in it', async () => {
    const yaml = (extra: string) => `version: 1
project: disabled
services:
  a:
    command: ${svc('a')}
  ui:
    command: ${svc('ui')}
environments:
  dev: {}
  prod:
    services:
      ui: { enabled: false }
${extra}`
    const p = new TestProject(yaml(''))
    await p.up()
    const plan = await p.run(['plan', '-e', 'prod'])
    assert.match(plan.stdout, /- ui[\s\S]*disabled in prod/, show(plan))
    assert.doesNotMatch(plan.stdout, /not in the configuration/, show(plan))
  })

  test("plan says what changed in the user's words: ready.timeout 10s → 20s, env.B added", async () => {
    const yaml = (timeout: string, env: string) => `version: 1
project: words
services:
  a:
    command: ${svc('a', '--ready-line', 'a ready')}
    ready: { log: a ready, timeout: ${timeout} }
    env: { A: "1"${env} }
`
    const p = new TestProject(yaml('10s', ''))
    await p.up()
    p.write(yaml('20s', ', B: "2"'))
    const plan = await p.run(['plan'])
    assert.match(plan.stdout, /ready\.timeout 10s → 20s/, show(plan))
    assert.match(plan.stdout, /env\.B added/, show(plan))
    assert.doesNotMatch(plan.stdout, /timeoutMs|ready\.kind/, show(plan))
  })
})
