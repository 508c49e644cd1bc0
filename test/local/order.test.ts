/**
 * `pulpo up` in local mode: dependency order, parallelism, each condition (started, healthy,
 * completed) and each probe kind (http, tcp, exec, log), and `up SERVICE`. Real processes; the
 * order is read from the timestamps the services record, never from durations.
 */
import { after, afterEach, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { assertBefore, assertNoStackTrace, cleanupAll, ensureBinary, freePorts, show, svc, TestProject, until, web } from './helpers.js'

before(ensureBinary)
// Each test's projects are taken down (and checked for leftovers) as soon as it ends.
afterEach(cleanupAll)
after(cleanupAll)

describe('order and parallelism', () => {
  test('a chain starts in dependency order, each dependent after what it waits for', async () => {
    const [apiPort] = await freePorts(1)
    const p = new TestProject(`version: 1
project: chain
services:
  db:
    command: ${svc('db', '--delay', '0.5', '--ready-line', 'db accepting connections')}
    ready: { log: accepting connections }
  migrate:
    command: ${svc('migrate', '--delay', '0.5', '--exit', '0')}
    depends_on: { db: healthy }
  api:
    command: ${svc('api', '--http', apiPort, '--delay', '0.5')}
    port: ${apiPort}
    ready: { http: /health }
    depends_on: { db: healthy, migrate: completed }
  web:
    command: ${svc('web')}
    depends_on: [api]
`)
    await p.up()
    assertBefore(await p.when('db', 'ready'), await p.when('migrate', 'start'), 'migrate waits for db to be healthy')
    assertBefore(await p.when('migrate', 'exit'), await p.when('api', 'start'), 'api waits for migrate to complete')
    // started means spawned, which the programs cannot record; but api is spawned only after
    // migrate completed, so web, which waits for api to be started, comes after that.
    assertBefore(await p.when('migrate', 'exit'), await p.when('web', 'start'), 'web waits for api to be started')
    for (const n of ['db', 'migrate', 'api', 'web']) assert.equal(p.eventsOf(n, 'start').length, 1, `${n} started once:\n${p.eventLog()}`)
  })

  test('independent services start concurrently: each becomes ready only once the other has started', async () => {
    // If pulpo started a, waited for it to be ready and only then started b (or the other way
    // round), neither could become ready and up would fail.
    const p = new TestProject(`version: 1
project: parallel
services:
  a:
    command: ${svc('a', '--wait-file', 'b.started', '--ready-line', 'a ready')}
    ready: { log: a ready, timeout: 30s }
  b:
    command: ${svc('b', '--wait-file', 'a.started', '--ready-line', 'b ready')}
    ready: { log: b ready, timeout: 30s }
  c:
    command: ${svc('c')}
    depends_on: { a: healthy, b: healthy }
`)
    await p.up()
    assertBefore(await p.when('a', 'start'), await p.when('b', 'ready'))
    assertBefore(await p.when('b', 'start'), await p.when('a', 'ready'))
    assertBefore(await p.when('a', 'ready'), await p.when('c', 'start'))
    assertBefore(await p.when('b', 'ready'), await p.when('c', 'start'))
  })
})

describe('conditions', () => {
  test('started: the dependent starts once its dependency is spawned, before it is ready', async () => {
    // slow can be spawned only after gate is ready, so fast (started) comes after that; and slow
    // becomes ready only once fast has started, so fast did not wait for slow to be ready.
    const p = new TestProject(`version: 1
project: started
services:
  gate:
    command: ${svc('gate', '--delay', '0.5', '--ready-line', 'gate ready')}
    ready: { log: gate ready }
  slow:
    command: ${svc('slow', '--wait-file', 'fast.started', '--ready-line', 'slow ready')}
    ready: { log: slow ready, timeout: 30s }
    depends_on: { gate: healthy }
  fast:
    command: ${svc('fast')}
    depends_on: { slow: started }
`)
    await p.up()
    assertBefore(await p.when('gate', 'ready'), await p.when('fast', 'start'))
    assertBefore(await p.when('fast', 'start'), await p.when('slow', 'ready'))
  })

  test('healthy: the dependent starts only after the probe passed', async () => {
    const p = new TestProject(`version: 1
project: healthy
services:
  db:
    command: ${svc('db', '--delay', '1', '--ready-line', 'db ready')}
    ready: { log: db ready }
  api:
    command: ${svc('api')}
    depends_on: { db: healthy }
`)
    await p.up()
    assertBefore(await p.when('db', 'ready'), await p.when('api', 'start'))
  })

  test('completed: a job exiting 0 unblocks its dependent; status shows it exited (0)', async () => {
    const p = new TestProject(`version: 1
project: completed
services:
  job:
    command: ${svc('job', '--delay', '1', '--exit', '0')}
  api:
    command: ${svc('api')}
    depends_on: { job: completed }
`)
    await p.up()
    assertBefore(await p.when('job', 'exit'), await p.when('api', 'start'))
    const job = await p.service('job')
    assert.equal(job.actual, 'exited')
    assert.equal(job.exit_code, 0)
    assert.equal((await p.service('api')).actual, 'running')
  })

  test('completed: a job done with its config is in sync; up leaves it, restart and a config change run it again', async () => {
    const yaml = (n: number, web = 'a') => `version: 1
project: jobdone
services:
  job:
    command: ${svc('job', '--exit', '0')}
    env: { N: "${n}" }
  api:
    command: ${svc('api')}
    depends_on: { job: completed }
  web:
    command: ${svc('web')}
    env: { W: ${web} }
    depends_on: [job]
`
    const p = new TestProject(yaml(1))
    await p.up()
    assert.equal((await p.run(['plan', '--detailed-exitcode'])).exitCode, 0, 'in sync after the job is done')
    const r = await p.up()
    assert.match(r.stdout, /up to date/)
    assert.equal(p.eventsOf('job', 'start').length, 1, 'up does not run a finished job again')

    // A dependent that waits for the finished job to have started is not held back by it.
    p.write(yaml(1, 'b'))
    await p.up()
    await until(() => p.eventsOf('web', 'start').length === 2, 'web restarted', () => p.eventLog())
    assert.equal(p.eventsOf('job', 'start').length, 1)

    const restart = await p.run(['restart', 'job'])
    assert.equal(restart.exitCode, 0, show(restart))
    await until(() => p.eventsOf('job', 'exit').length === 2, 'restart runs the job again', () => p.eventLog())

    p.write(yaml(2, 'b'))
    assert.deepEqual((await p.json<{ changes: { service: string; action: string }[] }>(['plan'])).changes.map((c) => `${c.service}: ${c.action}`), ['api: noop', 'job: create', 'web: noop'])
    await p.up()
    await until(() => p.eventsOf('job', 'exit').length === 3, 'a changed job runs again', () => p.eventLog())
    assert.equal(p.eventsOf('api', 'start').length, 1, 'api (without restart: true) is left alone')
  })

  test('completed: a job exiting 1 fails its dependents, which never start', async () => {
    const p = new TestProject(`version: 1
project: jobfails
services:
  job:
    command: ${svc('job', '--lines', '3', '--exit', '1')}
  api:
    command: ${svc('api')}
    depends_on: { job: completed }
  other:
    command: ${svc('other')}
`)
    const r = await p.run(['up'])
    assert.equal(r.exitCode, 1, show(r))
    assertNoStackTrace(r)
    assert.match(r.stderr, /job: exited with code 1/, show(r))
    assert.match(r.stderr, /job line 3/, 'the job\'s last log lines are shown')
    assert.match(r.stderr, /not started: .*api \(job/, show(r))
    assert.deepEqual(p.eventsOf('api'), [], 'api never started')
    assert.equal((await p.service('other')).actual, 'running', 'an unrelated service is left running')
  })
})

// Each probe kind: a service that becomes ready a moment after it starts (so a dependent that
// did not wait would start first), and one that never does (up fails naming the probe).
const PROBES: { kind: string; ready: (port: number) => string; command: (port: number) => string; never: (port: number) => string; says: (port: number) => RegExp }[] = [
  {
    kind: 'http (Python)',
    ready: () => '{ http: /health }',
    command: (port) => svc('s', '--delay', '1', '--http', port),
    never: () => svc('s'),
    says: (port) => new RegExp(`not ready after 2s \\(GET http://127.0.0.1:${port}/health\\)`),
  },
  {
    kind: 'http (Node)',
    ready: () => '{ http: /health }',
    command: (port) => web('s', port, 1000),
    never: () => svc('s'),
    says: (port) => new RegExp(`not ready after 2s \\(GET http://127.0.0.1:${port}/health\\)`),
  },
  {
    kind: 'tcp',
    ready: () => '{ tcp: true }',
    command: (port) => svc('s', '--delay', '1', '--tcp', port),
    never: () => svc('s'),
    says: (port) => new RegExp(`not ready after 2s \\(tcp port ${port}\\)`),
  },
  {
    kind: 'exec',
    ready: () => '{ exec: "test -f s.ready" }',
    command: () => svc('s', '--delay', '1', '--ready-file'),
    never: () => svc('s'),
    says: () => /not ready after 2s \(exec "test -f s.ready"\)/,
  },
  {
    kind: 'log',
    ready: () => '{ log: "^listening on \\\\d+$" }',
    command: (port) => svc('s', '--delay', '1', '--lines', '2', '--ready-line', `listening on ${port}`),
    never: () => svc('s', '--lines', '2', '--ready-line', 'listening on nothing'),
    says: () => /not ready after 2s \(log \/\^listening on \\d\+\$\/\)/,
  },
]

describe('probe kinds', () => {
  for (const probe of PROBES) {
    test(`${probe.kind}: a healthy dependent starts after the probe passes`, async () => {
      const [port] = await freePorts(1)
      const p = new TestProject(`version: 1
project: probe
services:
  s:
    command: ${probe.command(port)}
    port: ${port}
    ready: ${probe.ready(port).replace(/}$/, ', interval: 200ms }')}
  d:
    command: ${svc('d')}
    depends_on: { s: healthy }
`)
      await p.up()
      assertBefore(await p.when('s', 'ready'), await p.when('d', 'start'))
      const s = await p.service('s')
      assert.equal(s.health, 'healthy', JSON.stringify(s))
      assert.equal(s.actual, 'running')
    })

    test(`${probe.kind}: a service that never gets ready fails up, naming the probe; its dependent is not started`, async () => {
      const [port] = await freePorts(1)
      const p = new TestProject(`version: 1
project: never
services:
  s:
    command: ${probe.never(port)}
    port: ${port}
    ready: ${probe.ready(port).replace(/}$/, ', interval: 200ms, timeout: 2s }')}
  d:
    command: ${svc('d')}
    depends_on: { s: healthy }
`)
      const r = await p.run(['up'])
      assert.equal(r.exitCode, 1, show(r))
      assertNoStackTrace(r)
      assert.match(r.stderr, probe.says(port), show(r))
      assert.match(r.stderr, /not started: d \(s failed\)/, show(r))
      assert.deepEqual(p.eventsOf('d'), [])
    })
  }

  test('http: a service whose probe keeps failing after it was ready turns unhealthy in status', async () => {
    const [port] = await freePorts(1)
    const p = new TestProject(`version: 1
project: sick
services:
  s:
    command: ${svc('s', '--http', port)}
    port: ${port}
    ready: { http: /health, interval: 200ms }
`)
    await p.up()
    assert.equal((await p.service('s')).health, 'healthy')
    p.touch('s.sick')
    let last = ''
    await until(async () => (last = (await p.service('s')).health) === 'unhealthy', 's is unhealthy', () => last)
  })
})

describe('up SERVICE', () => {
  test('acts only on the named service and what it depends on', async () => {
    const p = new TestProject(`version: 1
project: only
services:
  db:
    command: ${svc('db')}
  api:
    command: ${svc('api')}
    depends_on: [db]
  web:
    command: ${svc('web')}
    depends_on: [api]
  other:
    command: ${svc('other')}
`)
    await p.up('api')
    await p.when('api', 'start')
    await p.when('db', 'start')
    const started = [...new Set(p.events().filter((e) => e.event === 'start').map((e) => e.name))].sort()
    assert.deepEqual(started, ['api', 'db'])
    const rows = Object.fromEntries((await p.status()).services.map((s) => [s.name, s]))
    assert.equal(rows.db.actual, 'running')
    assert.equal(rows.api.actual, 'running')
    assert.equal(rows.web.actual, 'absent')
    assert.equal(rows.web.action, 'create')
    assert.equal(rows.other.actual, 'absent')
    // And up of another service leaves the running ones alone.
    const pids = [rows.db.pid, rows.api.pid]
    await p.up('other')
    await p.when('other', 'start')
    const again = Object.fromEntries((await p.status()).services.map((s) => [s.name, s]))
    assert.deepEqual([again.db.pid, again.api.pid], pids)
    assert.equal(again.other.actual, 'running')
    assert.equal(again.web.actual, 'absent')
  })

  test('an unknown service is a usage error (exit 2) that names it', async () => {
    const p = new TestProject(`version: 1
project: unknown
services:
  db:
    command: ${svc('db')}
`)
    const r = await p.run(['up', 'dbb'])
    assert.equal(r.exitCode, 2, show(r))
    assert.match(r.stderr, /no service 'dbb'/)
    assertNoStackTrace(r)
    assert.deepEqual(p.events(), [])
  })
})
