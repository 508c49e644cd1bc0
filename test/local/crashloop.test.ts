/**
 * What `up` and `status` say about services that do not stay up: a crash loop is a failure, a
 * restart's backoff is said as such, a finished job is completed, and failure output shows only
 * this start's log lines. Real processes through the built binary; no durations asserted.
 */
import { after, afterEach, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync, mkdirSync } from 'node:fs'
import { assertNoStackTrace, cleanupAll, ensureBinary, show, svc, TestProject, until, type StatusRow } from './helpers.js'

before(ensureBinary)
afterEach(cleanupAll)
after(cleanupAll)

// A worker with no probe that cannot reach its queue: it exits 2 after 0.3 s, and is restarted.
const WORKER = `  worker:
    command: "sleep 0.3; echo 'fatal: cannot reach queue'; exit 2"
    restart: on-failure
    max_restarts: 50
    backoff: 100ms
`

type Row = StatusRow & { crash_loop?: { exit_code: number; restarts: number }; restarting_in_s?: number; completed?: boolean }

describe('a crash loop', () => {
  test('up fails with the last log lines; status says crash loop and is not in sync', async () => {
    const p = new TestProject(`version: 1
project: crashloop
services:
${WORKER}`)
    const r = await p.run(['up'])
    assert.equal(r.exitCode, 1, show(r))
    assertNoStackTrace(r)
    assert.doesNotMatch(r.stdout, /worker: ready/, show(r))
    assert.doesNotMatch(r.stdout, /is up/, show(r))
    assert.match(r.stderr, /✖ worker: exited with code 2; restarting \(crash loop\)/, show(r))
    assert.match(r.stderr, /│ fatal: cannot reach queue$/m, show(r))

    let row: Row | undefined
    await until(async () => (row = (await p.service('worker')) as Row).crash_loop !== undefined && row.crash_loop.restarts >= 2, 'worker is seen in a crash loop', () => JSON.stringify(row))
    assert.equal(row!.crash_loop!.exit_code, 2)
    const s = await p.run(['status'])
    assert.equal(s.exitCode, 0, show(s))
    assert.match(s.stdout, /crash loop \(exit 2, \d+ restarts\)/, show(s))
    assert.doesNotMatch(s.stdout, /in sync/, show(s))
    assert.match(s.stdout.split('\n')[0], /failing: worker \(crash loop\)/, show(s))
  })

  test('a service that stays up for its settle period is up; one that exits within it fails (ready.settle)', async () => {
    const p = new TestProject(`version: 1
project: settle
services:
  steady:
    command: ${svc('steady')}
  late:
    command: "sleep 1.5; echo 'late: giving up'; exit 3"
    ready: { settle: 8s }
`)
    const r = await p.run(['up'])
    assert.equal(r.exitCode, 1, show(r))
    assert.match(r.stdout, /steady: ready/, show(r))
    assert.match(r.stderr, /✖ late: exited with code 3/, show(r))
    assert.match(r.stderr, /│ late: giving up$/m, show(r))
  })

  test('validate takes ready: { settle } alone, and rejects ready with no probe otherwise', async () => {
    const ok = new TestProject(`version: 1
project: settleok
services:
  s:
    command: ${svc('s')}
    ready: { settle: 2s }
`)
    assert.equal((await ok.run(['validate'])).exitCode, 0)
    const bad = new TestProject(`version: 1
project: settlebad
services:
  s:
    command: ${svc('s')}
    ready: { timeout: 2s }
`)
    const r = await bad.run(['validate'])
    assert.equal(r.exitCode, 1, show(r))
    assert.match(r.stdout + r.stderr, /ready names no probe/)
  })
})

describe('restarts and jobs in status and progress', () => {
  test('during a restart backoff status says restarting (in Ns), without the dead pid', async () => {
    const p = new TestProject(`version: 1
project: backoff
services:
  s:
    command: ${svc('s', '--crash-when', 'crash')}
    restart: always
    backoff: 40s
`)
    await p.up()
    const first = await p.when('s', 'start')
    p.touch('crash')
    await p.when('s', 'exit')
    let row: Row | undefined
    await until(async () => (row = (await p.service('s')) as Row).restarting_in_s !== undefined, 's is waiting to restart', () => JSON.stringify(row))
    assert.ok(row!.restarting_in_s! > 0 && row!.restarting_in_s! <= 40, JSON.stringify(row))
    assert.equal(row!.pid, undefined, `the dead pid ${first.pid} is not shown`)
    const s = await p.run(['status'])
    assert.match(s.stdout, /restarting \(in \d+s\)/, show(s))
    assert.doesNotMatch(s.stdout, /\bstarting\b/, show(s))
  })

  test('a job says completed (in progress and status); a job that exits 1 fails up; a removed service says stopped', async () => {
    const p = new TestProject(`version: 1
project: jobs
services:
  migrate:
    command: "echo migrated"
  api:
    command: ${svc('api')}
    depends_on: { migrate: completed }
  gone:
    command: ${svc('gone')}
`)
    const r = await p.up()
    assert.match(r.stdout, /migrate: completed/, show(r))
    assert.match(r.stdout, /api: ready/, show(r))
    const s = await p.run(['status'])
    assert.match(s.stdout, /^migrate\s+completed\s+completed\s/m, show(s))
    assert.doesNotMatch(s.stdout, /exited \(0\)/, show(s))
    assert.equal(((await p.service('migrate')) as Row).completed, true)

    p.write(`version: 1
project: jobs
services:
  migrate:
    command: "echo cannot migrate; exit 1"
  api:
    command: ${svc('api')}
    depends_on: { migrate: completed }
`)
    const again = await p.run(['up'])
    assert.equal(again.exitCode, 1, show(again))
    assert.match(again.stdout, /gone: stopped/, show(again))
    assert.doesNotMatch(again.stdout, /migrate: (ready|completed)/, show(again))
    assert.doesNotMatch(again.stdout, /gone: ready/, show(again))
    assert.match(again.stderr, /✖ migrate: exited with code 1/, show(again))
  })

  test("failure output shows this start's log lines, not an earlier run's", async () => {
    const p = new TestProject(`version: 1
project: tail
services:
  s:
    command: "echo this run; exit 4"
`)
    mkdirSync(p.path('.pulpo/logs'), { recursive: true })
    appendFileSync(p.path('.pulpo/logs/s.log'), 'an earlier run said this\n')
    const r = await p.run(['up'])
    assert.equal(r.exitCode, 1, show(r))
    assert.match(r.stderr, /│ this run$/m, show(r))
    assert.doesNotMatch(r.stderr, /earlier run/, show(r))
  })
})
