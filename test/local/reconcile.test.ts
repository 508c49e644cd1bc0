/**
 * Desired vs actual with real processes: the plan and status JSON shapes of the contract,
 * `--detailed-exitcode`, restarting only what changed (and dependents that opted in), removed
 * services, drift after an outside kill, and `down`: reverse order, no orphans, `--volumes`.
 */
import { after, afterEach, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { alive, assertBefore, assertNoStackTrace, cleanupAll, ensureBinary, freePorts, PYTHON, show, svc, TestProject, until, type PlanJson, type StatusRow } from './helpers.js'

before(ensureBinary)
// Each test's projects are taken down (and checked for leftovers) as soon as it ends.
afterEach(cleanupAll)
after(cleanupAll)

const byName = (rows: StatusRow[]) => Object.fromEntries(rows.map((r) => [r.name, r]))
const actions = (plan: PlanJson) => Object.fromEntries(plan.changes.map((c) => [c.service, `${c.action}: ${c.reasons.join('; ')}`]))

describe('plan and status', () => {
  test('plan --json, plan --detailed-exitcode and status --json follow the contract, before and after up', async () => {
    const [port] = await freePorts(1)
    const p = new TestProject(`version: 1
project: shapes
services:
  db:
    command: ${svc('db', '--http', port)}
    port: ${port}
    ready: { http: /health }
  api:
    command: ${svc('api')}
    depends_on: { db: healthy }
`)
    const before = await p.run(['plan', '--detailed-exitcode'])
    assert.equal(before.exitCode, 2, show(before))
    assert.match(before.stdout, /\+ api/)
    assert.match(before.stdout, /Plan: 2 to create, 0 to update, 0 to delete, 0 unchanged\./)

    const plan = await p.json<PlanJson>(['plan'])
    assert.equal(plan.project, 'shapes')
    assert.equal(plan.environment, 'dev')
    assert.equal(plan.mode, 'local')
    assert.deepEqual(plan.changes, [
      { service: 'api', action: 'create', reasons: ['not running'] },
      { service: 'db', action: 'create', reasons: ['not running'] },
    ])
    assert.deepEqual(plan.summary, { create: 2, update: 0, delete: 0, noop: 0 })
    assert.equal((await p.run(['plan', '--detailed-exitcode', '--json'])).exitCode, 2)

    const absent = await p.status()
    assert.deepEqual(
      absent.services.map(({ name, desired, actual, health, action, ports }) => ({ name, desired, actual, health, action, ports })),
      [
        { name: 'api', desired: 'running', actual: 'absent', health: 'unknown', action: 'create', ports: [] },
        { name: 'db', desired: 'running', actual: 'absent', health: 'unknown', action: 'create', ports: [] },
      ],
    )

    await p.up()
    const after = await p.run(['plan', '--detailed-exitcode'])
    assert.equal(after.exitCode, 0, show(after))
    assert.match(after.stdout, /No changes\./)
    assert.deepEqual((await p.json<PlanJson>(['plan'])).summary, { create: 0, update: 0, delete: 0, noop: 2 })

    const status = await p.status()
    assert.deepEqual([status.project, status.environment, status.mode], ['shapes', 'dev', 'local'])
    const rows = byName(status.services)
    const db = rows.db
    assert.deepEqual({ desired: db.desired, actual: db.actual, health: db.health, action: db.action, ports: db.ports }, { desired: 'running', actual: 'running', health: 'healthy', action: 'noop', ports: [port] })
    assert.equal(db.pid, (await p.when('db', 'start')).pid, 'the pid is the service process')
    assert.ok(db.since && !Number.isNaN(Date.parse(db.since)) && Date.parse(db.since) <= Date.now(), `since is a timestamp: ${db.since}`)
    assert.equal(rows.api.health, 'unknown', 'a service without a probe has unknown health')
    assert.equal(rows.api.actual, 'running')
    assert.deepEqual(rows.api.ports, [])

    // The text view says the same.
    const text = await p.run(['status'])
    assert.equal(text.exitCode, 0, show(text))
    assert.match(text.stdout, /in sync/)
    assert.match(text.stdout, new RegExp(`^db\\s+running\\s+running\\s+healthy\\s+${db.pid}\\s+${port}\\s`, 'm'))
  })

  test('plan --detailed-exitcode exits 1 on an error', async () => {
    const p = new TestProject(`version: 1
project: broken
services:
  api:
    command: ${svc('api')}
    depends_on: [nope]
`)
    const r = await p.run(['plan', '--detailed-exitcode'])
    assert.equal(r.exitCode, 1, show(r))
    assertNoStackTrace(r)
  })
})

describe('only what changed', () => {
  test('a changed service is restarted (stopped, then started); the others keep their pids', async () => {
    const yaml = (level: string, cmdExtra = '') => `version: 1
project: changed
services:
  a:
    command: ${svc('a')}
  b:
    command: ${svc('b', ...(cmdExtra ? [cmdExtra] : []))}
    env: { LEVEL: ${level} }
  c:
    command: ${svc('c')}
    depends_on: [b]
`
    const p = new TestProject(yaml('info'))
    await p.up()
    const pids = byName((await p.status()).services)
    await p.when('b', 'start')

    p.write(yaml('debug'))
    const plan = await p.json<PlanJson>(['plan'])
    assert.deepEqual(actions(plan), { a: 'noop: ', b: 'update: env.LEVEL changed', c: 'noop: ' })
    assert.equal((await p.run(['plan', '--detailed-exitcode'])).exitCode, 2)
    await p.up()
    const now = byName((await p.status()).services)
    assert.equal(now.a.pid, pids.a.pid)
    assert.equal(now.c.pid, pids.c.pid)
    assert.notEqual(now.b.pid, pids.b.pid)
    assert.ok(!alive(pids.b.pid), 'the old b is gone')
    await until(() => p.eventsOf('b', 'start').length === 2, 'b started again', () => p.eventLog())
    assertBefore(p.first('b', 'stop'), p.last('b', 'start'))
    assert.equal((await p.run(['plan', '--detailed-exitcode'])).exitCode, 0)

    // A second field, and the reason names it.
    p.write(yaml('debug', '--lines=1'))
    assert.deepEqual(actions(await p.json<PlanJson>(['plan'])), { a: 'noop: ', b: 'update: command changed', c: 'noop: ' })
  })

  test('up with nothing to change touches nothing and says so', async () => {
    const p = new TestProject(`version: 1
project: same
services:
  a:
    command: ${svc('a')}
`)
    await p.up()
    const pid = (await p.service('a')).pid
    const r = await p.up()
    assert.match(r.stdout, /same is up to date \(1 service running\)/)
    assert.equal((await p.service('a')).pid, pid)
    await p.when('a', 'start')
    assert.equal(p.eventsOf('a', 'start').length, 1)
  })
})

// depends_on: {db: {condition: healthy, restart: true}} restarts the dependent when db changes;
// without restart: true the dependent keeps its pid.
const CASCADE = [
  { dep: '{ db: { condition: healthy, restart: true } }', restarts: true },
  { dep: '{ db: healthy }', restarts: false },
  { dep: '{ db: { condition: healthy } }', restarts: false },
]

describe('restart: true on a dependency', () => {
  for (const c of CASCADE) {
    test(`depends_on: ${c.dep} — when db changes the dependent ${c.restarts ? 'restarts after it' : 'keeps its pid'}`, async () => {
      const yaml = (version: string) => `version: 1
project: cascade
services:
  db:
    command: ${svc('db', '--ready-line', 'db ready')}
    ready: { log: db ready }
    env: { VERSION: "${version}" }
  api:
    command: ${svc('api')}
    depends_on: ${c.dep}
`
      const p = new TestProject(yaml('1'))
      await p.up()
      const before = byName((await p.status()).services)
      await p.when('api', 'start')
      p.write(yaml('2'))
      assert.deepEqual(actions(await p.json<PlanJson>(['plan'])), {
        db: 'update: env.VERSION changed',
        api: c.restarts ? 'update: dependency db restarts' : 'noop: ',
      })
      await p.up()
      const after = byName((await p.status()).services)
      assert.notEqual(after.db.pid, before.db.pid)
      if (c.restarts) {
        assert.notEqual(after.api.pid, before.api.pid)
        await until(() => p.eventsOf('api', 'start').length === 2, 'api started again', () => p.eventLog())
        // Dependents stop first, and start again only once the new db is ready.
        assertBefore(p.first('api', 'stop'), p.first('db', 'stop'))
        assertBefore(p.last('db', 'ready'), p.last('api', 'start'))
      } else {
        assert.equal(after.api.pid, before.api.pid)
        assert.equal(p.eventsOf('api', 'start').length, 1)
        assert.deepEqual(p.eventsOf('api', 'stop'), [])
      }
    })
  }
})

describe('removed services and drift', () => {
  test('a service removed from pulpo.yaml is planned for delete and stopped by up; the rest keep running', async () => {
    const yaml = (withB: boolean) => `version: 1
project: removed
services:
  a:
    command: ${svc('a')}
${withB ? `  b:\n    command: ${svc('b', '--child')}\n    depends_on: [a]\n` : ''}`
    const p = new TestProject(yaml(true))
    await p.up()
    const b = await p.service('b')
    const child = Number((await p.when('b', 'child')).detail)
    const a = (await p.service('a')).pid
    p.write(yaml(false))
    const plan = await p.json<PlanJson>(['plan'])
    assert.deepEqual(actions(plan), { a: 'noop: ', b: 'delete: not in the configuration of this environment' })
    assert.deepEqual(plan.summary, { create: 0, update: 0, delete: 1, noop: 1 })
    const row = byName((await p.status()).services).b
    assert.deepEqual([row.desired, row.actual, row.action], ['absent', 'running', 'delete'])

    await p.up()
    assert.ok(!alive(b.pid) && !alive(child), 'b and its child are gone')
    const rows = byName((await p.status()).services)
    assert.equal(rows.b, undefined, 'status no longer lists b')
    assert.equal(rows.a.pid, a)
    assert.equal((await p.run(['plan', '--detailed-exitcode'])).exitCode, 0)
  })

  test('a service killed from outside shows as drift and up starts only it again', async () => {
    const p = new TestProject(`version: 1
project: drift
services:
  a:
    command: ${svc('a', '--child')}
  b:
    command: ${svc('b')}
`)
    await p.up()
    const a = await p.service('a')
    const b = await p.service('b')
    await p.when('a', 'child')
    process.kill(-a.pid!, 'SIGKILL')
    let row: StatusRow | undefined
    await until(async () => (row = await p.service('a')).actual !== 'running', 'status sees a is gone', () => JSON.stringify(row))
    assert.equal(row!.actual, 'exited')
    assert.equal(row!.action, 'create')
    assert.match(row!.reasons[0], /^not running/)
    assert.equal((await p.run(['plan', '--detailed-exitcode'])).exitCode, 2)
    await p.up()
    const now = byName((await p.status()).services)
    assert.equal(now.a.actual, 'running')
    assert.notEqual(now.a.pid, a.pid)
    assert.equal(now.b.pid, b.pid)
  })
})

describe('watch', () => {
  test('a change under a watched path restarts the service (stop, then start); the others keep running', async () => {
    const p = new TestProject(`version: 1
project: watch
services:
  a:
    command: ${svc('a')}
    watch: [app]
  b:
    command: ${svc('b')}
`, { 'app/main.py': 'x = 1\n' })
    await p.up()
    const first = await p.when('a', 'start')
    const b = (await p.when('b', 'start')).pid
    p.touch('app/main.py')
    await until(() => p.eventsOf('a', 'start').length === 2, 'a restarts', () => p.eventLog())
    assertBefore(p.first('a', 'stop'), p.last('a', 'start'))
    assert.ok(!alive(first.pid))
    // A file in a directory made after the start counts too.
    p.touch('app/new.py')
    await until(() => p.eventsOf('a', 'start').length === 3, 'a restarts again', () => p.eventLog())
    assert.equal((await p.service('a')).pid, p.last('a', 'start').pid)
    assert.equal((await p.service('b')).pid, b)
    assert.equal((await p.run(['plan', '--detailed-exitcode'])).exitCode, 0)
  })
})

describe('down', () => {
  test('stops in reverse dependency order, process groups and all, and leaves no process behind', async () => {
    const [port] = await freePorts(1)
    const p = new TestProject(`version: 1
project: downorder
services:
  db:
    command: ${svc('db', '--child', '--tcp', port)}
    port: ${port}
    ready: { tcp: true }
  api:
    # a shell with a background child: the whole group goes
    command: sleep 1000 & exec ${PYTHON} svc.py api
    depends_on: { db: healthy }
  web:
    command: ${svc('web', '--child')}
    depends_on: [api]
  stubborn:
    command: ${svc('stubborn', '--ignore-term')}
    stop: { timeout: 1s }
    depends_on: [db]
`)
    await p.up()
    const pids = Object.values(byName((await p.status()).services)).map((r) => r.pid!)
    await p.when('web', 'child')
    await p.when('db', 'child')
    await p.when('api', 'start')
    await p.when('stubborn', 'start')
    const r = await p.run(['down'])
    assert.equal(r.exitCode, 0, show(r))
    assert.match(r.stdout, /downorder stopped/)
    assertBefore(p.first('web', 'stop'), p.first('api', 'stop'))
    assertBefore(p.first('api', 'stop'), p.first('db', 'stop'))
    assertBefore(p.first('stubborn', 'term'), p.first('db', 'stop'))
    assert.deepEqual(p.eventsOf('stubborn', 'stop'), [], 'stubborn ignored SIGTERM and was killed')
    for (const pid of pids) assert.ok(!alive(pid), `pid ${pid} is gone`)
    for (const e of p.eventsOf('db', 'child').concat(p.eventsOf('web', 'child'))) assert.ok(!alive(Number(e.detail)), `child ${e.detail} of ${e.name} is gone`)
    await p.assertNoLeftovers()
    assert.deepEqual(p.state()?.services ?? {}, {})
    // And down again has nothing to do.
    const again = await p.run(['down'])
    assert.equal(again.exitCode, 0, show(again))
    const s = await p.status()
    assert.ok(s.services.every((row) => row.actual === 'absent' && row.action === 'create'), JSON.stringify(s.services))
  })

  for (const signal of ['SIGINT', 'SIGHUP', 'SIGUSR1']) {
    test(`stop: { signal: ${signal} } is what the service receives`, async () => {
      const p = new TestProject(`version: 1
project: stopsignal
services:
  s:
    command: ${svc('s')}
    stop: { signal: ${signal} }
`)
      await p.up()
      await p.when('s', 'start')
      const r = await p.run(['down'])
      assert.equal(r.exitCode, 0, show(r))
      assert.equal(p.first('s', 'signal').detail, signal)
      assert.deepEqual(p.eventsOf('s', 'term'), [])
    })
  }

  test('a service that dies at once on its stop signal (SIGKILL) is restarted and stopped again and again, leaving no process', async () => {
    // Its process is often gone before the supervisor first looks: every later stop must still act.
    const p = new TestProject(`version: 1
project: quickstop
services:
  s:
    command: ${svc('s', '--child')}
    stop: { signal: SIGKILL }
`)
    await p.up()
    for (let i = 1; i <= 4; i++) {
      await until(() => p.eventsOf('s', 'child').length === i, `run ${i} of s started its child`, () => p.eventLog())
      const r = await p.run(['restart', 's'])
      assert.equal(r.exitCode, 0, show(r))
    }
    await until(() => p.eventsOf('s', 'child').length === 5, 'the last run started its child', () => p.eventLog())
    const runs = p.eventsOf('s', 'start')
    assert.equal(runs.length, 5, p.eventLog())
    const last = (await p.service('s')).pid
    assert.equal(last, runs.at(-1)!.pid)
    for (const e of runs.slice(0, -1)) assert.ok(!alive(e.pid), `run ${e.pid} of s is gone`)
    const down = await p.run(['down'])
    assert.equal(down.exitCode, 0, show(down))
    await p.assertNoLeftovers()
  })

  test('down SERVICE stops only that service', async () => {
    const p = new TestProject(`version: 1
project: downone
services:
  a:
    command: ${svc('a')}
  b:
    command: ${svc('b')}
    depends_on: [a]
  c:
    command: ${svc('c')}
`)
    await p.up()
    const before = byName((await p.status()).services)
    await p.when('b', 'start')
    const down = await p.json<{ project: string; environment: string; mode: string; results: Array<{ service: string }>; volumes: boolean }>(['down', 'b'])
    assert.deepEqual([down.project, down.environment, down.mode, down.volumes], ['downone', 'dev', 'local', false])
    assert.deepEqual(down.results.map((r) => r.service), ['b'])
    const now = byName((await p.status()).services)
    assert.ok(!alive(before.b.pid))
    assert.equal(now.b.action, 'create')
    assert.equal(now.a.pid, before.a.pid)
    assert.equal(now.c.pid, before.c.pid)
  })

  test('data of persist: true survives down; --volumes removes it; down SERVICE --volumes only that service\'s', async () => {
    const p = new TestProject(`version: 1
project: volumes
services:
  keep:
    command: ${svc('keep', '--data')}
    persist: true
  other:
    command: ${svc('other', '--data')}
    persist: true
`)
    const runs = (name: string) => {
      const f = p.statePath(`data/${name}/runs`)
      return existsSync(f) ? Number(readFileSync(f, 'utf8')) : 0
    }
    await p.up()
    await until(() => runs('keep') === 1 && runs('other') === 1, 'both recorded a run', () => p.eventLog())
    assert.equal((await p.run(['down'])).exitCode, 0)
    assert.equal(runs('keep'), 1, 'data survives down')
    await p.up()
    await until(() => runs('keep') === 2, 'keep counted its second run', () => p.eventLog())
    assert.equal((await p.when('keep', 'data')).detail, '1')
    assert.equal(p.last('keep', 'data').detail, '2', 'the second run found the first run\'s data')

    const one = await p.run(['down', 'keep', '--volumes'])
    assert.equal(one.exitCode, 0, show(one))
    assert.ok(!existsSync(p.statePath('data/keep')), 'keep\'s data is removed')
    assert.equal(runs('other'), 2, 'other\'s data is kept')

    const all = await p.run(['down', '--volumes'])
    assert.equal(all.exitCode, 0, show(all))
    assert.match(all.stdout, /data removed/)
    assert.ok(!existsSync(p.statePath('data')), 'all data is removed')
    await p.up()
    await until(() => runs('keep') === 1, 'keep starts from scratch', () => p.eventLog())
  })

  test('data of a service without persist does not survive down', async () => {
    const p = new TestProject(`version: 1
project: scratch
services:
  tmp:
    command: ${svc('tmp', '--data')}
`)
    await p.up()
    await p.when('tmp', 'data')
    assert.ok(existsSync(p.statePath('data/tmp/runs')))
    assert.equal((await p.run(['down'])).exitCode, 0)
    assert.ok(!existsSync(p.statePath('data/tmp')), 'non-persistent data is removed by down')
  })
})
