/**
 * pulpo and its supervisor under duress, with real processes: lock contention, pulpo SIGKILLed
 * mid-up, Ctrl-C (SIGINT) during up, the supervisor killed, and `logs -f`, `restart`.
 */
import { after, afterEach, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { alive, assertBefore, assertNoStackTrace, cleanupAll, ensureBinary, freePorts, show, svc, TestProject, until, type PlanJson, type StatusRow } from './helpers.js'

before(ensureBinary)
// Each test's projects are taken down (and checked for leftovers) as soon as it ends.
afterEach(cleanupAll)
after(cleanupAll)

const byName = (rows: StatusRow[]) => Object.fromEntries(rows.map((r) => [r.name, r]))

/** a is ready at once; b (after a) waits for the file `go`; c waits for b. */
const GATED = (project: string, bTimeout = '60s') => `version: 1
project: ${project}
services:
  a:
    command: ${svc('a', '--ready-line', 'a ready')}
    ready: { log: a ready }
  b:
    command: ${svc('b', '--wait-file', 'go', '--ready-line', 'b ready')}
    ready: { log: b ready, interval: 200ms, timeout: ${bTimeout} }
    depends_on: { a: healthy }
  c:
    command: ${svc('c')}
    depends_on: { b: healthy }
`

describe('the project lock', () => {
  test('a second up, down or restart waits for the first, and gives up after PULPO_LOCK_TIMEOUT naming it', async () => {
    const p = new TestProject(GATED('locked'))
    const first = p.spawn(['up'])
    await p.when('b', 'start')
    for (const cmd of [['up'], ['down'], ['restart', 'a']]) {
      const r = await p.run(cmd, { PULPO_LOCK_TIMEOUT: '2s' })
      assert.equal(r.exitCode, 1, `${cmd.join(' ')}: ${show(r)}`)
      assertNoStackTrace(r)
      assert.match(r.stderr, new RegExp(`waiting for pulpo up \\(pid ${first.pid}, since `), show(r))
      assert.match(r.stderr, new RegExp(`another pulpo is working on this project: pulpo up \\(pid ${first.pid}, since `), show(r))
    }
    // Reading does not need the lock.
    assert.equal((await p.status()).project, 'locked')
    assert.equal((await p.service('a')).actual, 'running', 'the refused down stopped nothing')

    // A second up with time to wait goes on once the first is done.
    const second = p.spawn(['up'])
    await until(() => second.output().includes('waiting for pulpo up'), 'the second up waits', second.output)
    p.touch('go')
    const r1 = await first.exited
    assert.equal(r1.exitCode, 0, show(r1))
    const r2 = await second.exited
    assert.equal(r2.exitCode, 0, show(r2))
    assert.match(r2.stdout, /locked is up to date/)
    assert.ok(!existsSync(p.statePath('lock')), 'the lock is released')
    assert.equal(p.eventsOf('b', 'start').length, 1)
  })
})

describe('pulpo killed mid-up', () => {
  test('SIGKILL: services keep running, the stale lock is taken over, and the next up converges without restarting them', async () => {
    const p = new TestProject(GATED('killed', '3s'))
    const up = p.spawn(['up'])
    const b = await p.when('b', 'start')
    up.signal('SIGKILL')
    const r = await up.exited
    assert.equal(r.exitCode, 137, up.output())
    assert.ok(existsSync(p.statePath('lock')), 'a SIGKILLed pulpo leaves its lock')
    const a = (await p.when('a', 'start')).pid
    assert.ok(alive(a) && alive(b.pid), 'the supervisor keeps the services running')

    // b is still starting (it waits for `go`): an up that finds it so waits for it to be ready,
    // and fails when it is not, rather than calling a service that is not ready "up".
    const notYet = await p.run(['up'])
    assert.equal(notYet.exitCode, 1, show(notYet))
    assert.match(notYet.stderr, /b: not ready after 3s \(log \/b ready\/\)/, show(notYet))
    assert.match(notYet.stderr, /✖ b: not ready after 3s/, show(notYet))
    assert.match(notYet.stderr, /not started: c \(b/, show(notYet))
    assert.deepEqual(p.eventsOf('c'), [])

    p.touch('go')
    await p.up()
    const rows = byName((await p.status()).services)
    assert.deepEqual([rows.a.pid, rows.b.pid], [a, b.pid], 'a and b were not restarted')
    assert.deepEqual([rows.a.health, rows.b.health, rows.c.actual], ['healthy', 'healthy', 'running'])
    assertBefore(await p.when('b', 'ready'), await p.when('c', 'start'))
    assert.equal((await p.run(['plan', '--detailed-exitcode'])).exitCode, 0)
    assert.deepEqual(['a', 'b', 'c'].map((n) => p.eventsOf(n, 'start').length), [1, 1, 1])
  })

  for (const sig of ['SIGINT', 'SIGTERM'] as const) test(`${sig === 'SIGINT' ? 'Ctrl-C (SIGINT)' : 'SIGTERM'}: stops cleanly with exit 130 and a message, releases the lock, and the next up converges`, async () => {
    const p = new TestProject(GATED('interrupted'))
    const up = p.spawn(['up'])
    const b = await p.when('b', 'start')
    up.signal(sig)
    const r = await up.exited
    assert.equal(r.exitCode, 130, show(r))
    assertNoStackTrace(r)
    assert.match(r.stderr, /interrupted: services started so far keep running/, show(r))
    assert.ok(!existsSync(p.statePath('lock')), 'the lock is released')
    assert.deepEqual(p.eventsOf('c'), [], 'nothing new starts after Ctrl-C')
    assert.ok(alive(b.pid), 'b, started before Ctrl-C, keeps running')

    p.touch('go')
    await p.up()
    const rows = byName((await p.status()).services)
    assert.equal(rows.b.pid, b.pid)
    assert.equal(rows.c.actual, 'running')
    assert.equal((await p.run(['plan', '--detailed-exitcode'])).exitCode, 0)
  })
})

/** SIGKILLs the project's supervisor (what the OOM killer would do), and waits until it is gone. */
async function killSupervisor(p: TestProject): Promise<number> {
  const sup = p.state()!.supervisor!.pid
  process.kill(sup, 'SIGKILL')
  await until(() => !alive(sup), 'the supervisor is gone')
  return sup
}

describe('the supervisor killed', () => {
  const project = (port: number) => `version: 1
project: orphaned
services:
  api:
    command: ${svc('api', '--http', port, '--child')}
    port: ${port}
    ready: { http: /health, interval: 200ms }
    restart: always
    backoff: 100ms
  worker:
    command: ${svc('worker')}
    depends_on: { api: healthy }
`

  test('services run on; status says so; up starts a new supervisor that adopts them, probes and restarts them', async () => {
    const [port] = await freePorts(1)
    const p = new TestProject(project(port))
    await p.up()
    const before = byName((await p.status()).services)
    const sup = await killSupervisor(p)
    assert.ok(alive(before.api.pid) && alive(before.worker.pid), 'services outlive their supervisor')

    const status = await p.status()
    const rows = byName(status.services)
    assert.deepEqual([rows.api.actual, rows.api.pid, rows.worker.pid], ['running', before.api.pid, before.worker.pid])
    assert.equal(rows.api.health, 'unknown', 'no supervisor, no probe')
    assert.match((status.notes ?? []).join('\n'), /supervisor is not running/)
    const text = await p.run(['status'])
    assert.match(text.stdout, /note: the pulpo supervisor is not running/)
    assert.equal((await p.run(['plan', '--detailed-exitcode'])).exitCode, 0, 'nothing to change')

    const r = await p.up()
    assert.match(r.stdout, /up to date/)
    // The state file is written a moment after each change: wait for the new supervisor's.
    let sup2 = sup
    await until(() => (sup2 = p.state()?.supervisor?.pid ?? sup) !== sup, 'a new supervisor records its state', () => p.supervisorLog())
    assert.ok(alive(sup2))
    const now = byName((await p.status()).services)
    assert.deepEqual([now.api.pid, now.worker.pid], [before.api.pid, before.worker.pid], 'adopted, not restarted')
    assert.equal(now.api.health, 'healthy', 'the new supervisor probes it')
    assert.deepEqual((await p.status()).notes, [])

    // An adopted service that dies is restarted by its policy.
    process.kill(-before.api.pid!, 'SIGKILL')
    let api: StatusRow | undefined
    await until(async () => (api = await p.service('api')).actual === 'running' && api.pid !== before.api.pid && api.health === 'healthy', 'api is restarted', () => JSON.stringify(api))
    assert.ok(api!.restarts >= 1)
  })

  test('a service that died while no supervisor ran is drift; up starts it again', async () => {
    const [port] = await freePorts(1)
    const p = new TestProject(project(port))
    await p.up()
    const before = byName((await p.status()).services)
    await killSupervisor(p)
    process.kill(-before.worker.pid!, 'SIGKILL')
    await until(() => !alive(before.worker.pid), 'worker is gone')
    const plan = await p.json<PlanJson>(['plan'])
    assert.deepEqual(plan.changes.map((c) => `${c.service}: ${c.action}`), ['api: noop', 'worker: create'])
    await p.up()
    const now = byName((await p.status()).services)
    assert.equal(now.api.pid, before.api.pid)
    assert.notEqual(now.worker.pid, before.worker.pid)
    assert.equal(now.worker.actual, 'running')
  })

  test('down without a supervisor stops everything from the state file, in reverse order, leaving nothing', async () => {
    const [port] = await freePorts(1)
    const p = new TestProject(project(port))
    await p.up()
    await p.when('worker', 'start')
    const child = Number((await p.when('api', 'child')).detail)
    await killSupervisor(p)
    const r = await p.run(['down'])
    assert.equal(r.exitCode, 0, show(r))
    assertBefore(p.first('worker', 'stop'), p.first('api', 'stop'))
    assert.ok(!alive(child), "api's child is gone")
    await p.assertNoLeftovers()
  })

  test('a state file that cannot be read is said so, kept by up and down (never removed), and pointed at until deleted', async () => {
    const [port] = await freePorts(1)
    const p = new TestProject(project(port))
    await p.up()
    const before = byName((await p.status()).services)
    await killSupervisor(p)
    const damaged = '{"version": 1, "services": {"api": '
    writeFileSync(p.statePath('state.json'), damaged)

    const status = await p.status()
    assert.match((status.notes ?? []).join('\n'), /state\.json cannot be read \(.*\): what it recorded is unknown, and services it started may still run unseen/)
    // What ran is out of pulpo's sight; its port says who holds it.
    const up = await p.run(['up'])
    assert.equal(up.exitCode, 1, show(up))
    assert.match(up.stderr, new RegExp(`port ${port} is already in use by pid ${before.api.pid}`))
    assert.equal(readFileSync(p.statePath('state.json.unreadable'), 'utf8'), damaged, 'kept as it was')
    assert.match((await p.status()).notes!.join('\n'), /kept it as .*state\.json\.unreadable: services it recorded may still run unseen/)
    assert.match(p.supervisorLog(), /state\.json cannot be read .*: starting without it; kept as/)

    // The user stops them by hand; down leaves the kept file, and the note goes once it is deleted.
    for (const s of [before.api, before.worker]) process.kill(-s.pid!, 'SIGKILL')
    assert.equal((await p.run(['down'])).exitCode, 0)
    assert.equal(readFileSync(p.statePath('state.json.unreadable'), 'utf8'), damaged)
    rmSync(p.statePath('state.json.unreadable'))
    assert.deepEqual((await p.status()).notes, [])
    await p.assertNoLeftovers()
  })
})

describe('isolation', () => {
  test('two projects of the same name in different directories do not see each other', async () => {
    const yaml = `version: 1
project: twin
services:
  s:
    command: ${svc('s')}
`
    const one = new TestProject(yaml)
    const two = new TestProject(yaml)
    await one.up()
    assert.equal((await two.service('s')).actual, 'absent')
    await two.up()
    const a = (await one.service('s')).pid
    const b = (await two.service('s')).pid
    assert.notEqual(a, b)
    assert.equal((await one.run(['down'])).exitCode, 0)
    assert.ok(!alive(a))
    assert.ok(alive(b), "the other project's service runs on")
    assert.equal((await two.service('s')).actual, 'running')
  })

  test('a project in a directory too deep for a socket path in it works (the socket goes elsewhere)', async () => {
    const p = new TestProject(`version: 1
project: deep
services:
  s:
    command: ${svc('s', '--ready-line', 'ready')}
    ready: { log: ready }
`, {}, { subdir: 'd'.repeat(60) + '/' + 'e'.repeat(60) })
    assert.ok(Buffer.byteLength(p.statePath('supervisor.sock')) > 107, 'too long for a Unix socket')
    await p.up()
    const s = await p.service('s')
    assert.deepEqual([s.actual, s.health], ['running', 'healthy'])
    const down = await p.run(['down'])
    assert.equal(down.exitCode, 0, show(down))
    assert.ok(!alive(s.pid))
  })
})

describe('logs', () => {
  test('logs prints each service with a prefix; --tail N the last N lines; -f follows new lines, across a restart, until Ctrl-C', async () => {
    const p = new TestProject(`version: 1
project: logs
services:
  a:
    command: ${svc('a', '--lines', '3', '--tick', '0.1')}
  bb:
    command: ${svc('bb', '--lines', '2')}
`)
    await p.up()
    await until(() => p.eventsOf('bb', 'start').length > 0 && readFileSync(p.statePath('logs/bb.log'), 'utf8').includes('bb line 2'), 'bb logged')
    const all = await p.run(['logs'])
    assert.equal(all.exitCode, 0, show(all))
    assert.match(all.stdout, /^a  \| a line 1$/m)
    assert.match(all.stdout, /^bb \| bb line 2$/m)
    const tail = await p.run(['logs', 'bb', '--tail', '1'])
    assert.deepEqual(tail.stdout.trim().split('\n'), ['bb | bb line 2'])
    const bad = await p.run(['logs', 'nope'])
    assert.equal(bad.exitCode, 2, show(bad))
    assertNoStackTrace(bad)

    const follow = p.spawn(['logs', '-f', '--tail', '1', 'a'])
    const ticks = () => [...follow.output().matchAll(/^a \| a tick (\d+)$/gm)].map((m) => Number(m[1]))
    await until(() => ticks().length >= 3, 'logs -f prints new ticks', follow.output)
    const seen = ticks()
    assert.deepEqual(seen.slice(0, 3), [seen[0], seen[0] + 1, seen[0] + 2], 'consecutive lines, none lost')
    const restart = await p.run(['restart', 'a'])
    assert.equal(restart.exitCode, 0, show(restart))
    await until(() => /^a \| a line 1$/m.test(follow.output()), 'logs -f shows the restarted a', follow.output)
    assert.doesNotMatch(follow.output(), /bb \|/, 'only the service asked for')
    follow.signal('SIGINT')
    const r = await follow.exited
    assert.equal(r.exitCode, 0, show(r))
    assertNoStackTrace(r)
  })
})

describe('restart', () => {
  test('restarts every service in dependency order, each after what it waits for is ready again', async () => {
    const p = new TestProject(`version: 1
project: restart
services:
  db:
    command: ${svc('db', '--delay', '0.3', '--ready-line', 'db ready')}
    ready: { log: db ready }
  api:
    command: ${svc('api')}
    depends_on: { db: healthy }
`)
    await p.up()
    const before = byName((await p.status()).services)
    await p.when('api', 'start')
    const r = await p.run(['restart'])
    assert.equal(r.exitCode, 0, show(r))
    assert.match(r.stdout, /restarted db, api|restarted api, db/)
    const now = byName((await p.status()).services)
    assert.notEqual(now.db.pid, before.db.pid)
    assert.notEqual(now.api.pid, before.api.pid)
    await until(() => p.eventsOf('api', 'start').length === 2, 'api started again', () => p.eventLog())
    assertBefore(p.first('api', 'stop'), p.first('db', 'stop'))
    assertBefore(p.last('db', 'ready'), p.last('api', 'start'))
  })
})
