/**
 * When services fail: a crash during start, a port already in use, and the restart policies with
 * their backoff. Real processes; order from recorded timestamps, never durations.
 */
import { after, afterEach, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { rmSync as removeFile } from 'node:fs'
import net from 'node:net'
import { alive, assertNoStackTrace, cleanupAll, ensureBinary, freePorts, show, svc, TestProject, until, type Run, type StatusRow } from './helpers.js'

before(ensureBinary)
// Each test's projects are taken down (and checked for leftovers) as soon as it ends.
afterEach(cleanupAll)
after(cleanupAll)

describe('a failed start', () => {
  test('exits 1, names the service and why, prints its last log lines, skips its dependents, leaves the rest running', async () => {
    const [apiPort] = await freePorts(1)
    const p = new TestProject(`version: 1
project: crash
services:
  db:
    command: ${svc('db', '--ready-line', 'db ready')}
    ready: { log: db ready }
  api:
    command: ${svc('api', '--lines', '30', '--exit', '3')}
    port: ${apiPort}
    ready: { http: /health }
    depends_on: { db: healthy }
  web:
    command: ${svc('web')}
    depends_on: { api: healthy }
  other:
    command: ${svc('other')}
`)
    const r = await p.run(['up'])
    assert.equal(r.exitCode, 1, show(r))
    assertNoStackTrace(r)
    assert.match(r.stderr, /✖ api: exited with code 3/, show(r))
    // The last 20 lines of its log: lines 12..30 and its goodbye.
    assert.match(r.stderr, /last 20 log lines of api/, show(r))
    assert.match(r.stderr, /│ api line 12$/m)
    assert.match(r.stderr, /│ api line 30$/m)
    assert.match(r.stderr, /│ api exiting with 3$/m)
    assert.doesNotMatch(r.stderr, /api line 11$/m, 'only the last lines are shown')
    assert.match(r.stderr, /not started: web \(api failed\)/, show(r))
    assert.deepEqual(p.eventsOf('web'), [], 'web never started')

    const rows = Object.fromEntries((await p.status()).services.map((s) => [s.name, s]))
    assert.equal(rows.db.actual, 'running')
    assert.equal(rows.other.actual, 'running')
    assert.ok(alive(rows.db.pid) && alive(rows.other.pid), 'db and other still run')
    assert.equal(rows.api.actual, 'exited')
    assert.equal(rows.api.exit_code, 3)
    assert.equal(rows.web.actual, 'absent')
  })

  test('up --json reports each service: done, failed (with reason and logs) or skipped', async () => {
    const p = new TestProject(`version: 1
project: crashjson
services:
  bad:
    command: ${svc('bad', '--lines', '2', '--delay', '0.3', '--exit', '1')}
    ready: { log: never }
  dep:
    command: ${svc('dep')}
    depends_on: { bad: healthy }
  ok:
    command: ${svc('ok')}
`)
    const out = await p.json<{ results: { service: string; status: string; reason?: string; logs?: string[] }[] }>(['up'], 1)
    const by = Object.fromEntries(out.results.map((r) => [r.service, r]))
    assert.equal(by.ok.status, 'done')
    assert.equal(by.bad.status, 'failed')
    assert.match(by.bad.reason!, /exited with code 1/)
    assert.deepEqual(by.bad.logs, ['bad line 1', 'bad line 2', 'bad exiting with 1'])
    assert.equal(by.dep.status, 'skipped')
    assert.match(by.dep.reason!, /bad failed/)
  })

  test('crashing during start with restart: on-failure retries, then fails up once it gives up', async () => {
    const p = new TestProject(`version: 1
project: crashloop
services:
  flaky:
    command: ${svc('flaky', '--exit', '1')}
    ready: { log: never }
    restart: on-failure
    max_restarts: 2
    backoff: 100ms
  dep:
    command: ${svc('dep')}
    depends_on: { flaky: healthy }
`)
    const r = await p.run(['up'])
    assert.equal(r.exitCode, 1, show(r))
    assert.match(r.stderr, /flaky: exited with code 1; gave up after 2 restarts/, show(r))
    assert.equal(p.eventsOf('flaky', 'start').length, 3, p.eventLog())
    assert.deepEqual(p.eventsOf('dep'), [])
  })
})

// A command that cannot run at all: as argv, pulpo cannot spawn it; through /bin/sh, the shell says so.
// (With a probe, so that up waits for it: without one a service is up once spawned.)
const MISSING = [
  { form: 'argv', command: '["no-such-program-pulpo-test", "x"]', says: /✖ s: cannot start "no-such-program-pulpo-test": command not found/, log: /\(s wrote nothing to its log\)/ },
  { form: 'shell string', command: '"no-such-program-pulpo-test x"', says: /✖ s: exited with code 127/, log: /│ .*no-such-program-pulpo-test: .*not found/ },
]

describe('secrets in failure output', () => {
  test('the last log lines of a failed service, and logs, show a secret as ***', async () => {
    const p = new TestProject(`version: 1
project: secrets
services:
  s:
    command: ${svc('s', '--print-env', 'API_TOKEN', '--exit', '1')}
    ready: { log: never printed }
    env: { API_TOKEN: "\${API_TOKEN}" }
`, { '.env': 'API_TOKEN=hunter2-very-secret\n' })
    const r = await p.run(['up'])
    assert.equal(r.exitCode, 1, show(r))
    assert.match(r.stderr, /│ API_TOKEN=\*\*\*$/m, show(r))
    assert.doesNotMatch(r.stdout + r.stderr, /hunter2/)
    const logs = await p.run(['logs'])
    assert.match(logs.stdout, /s \| API_TOKEN=\*\*\*$/m, show(logs))
    assert.doesNotMatch(logs.stdout, /hunter2/)
    const json = await p.run(['up', '--json'])
    assert.equal(json.exitCode, 1, show(json))
    assert.doesNotMatch(json.stdout, /hunter2/, 'up --json masks too')
  })
})

describe('secrets in progress output', () => {
  test('a probe whose command holds a secret: up and restart show it as *** in their progress and failure', async () => {
    const p = new TestProject(`version: 1
project: probesecret
services:
  s:
    command: ${svc('s')}
    ready: { exec: [sh, -c, 'test "$$0" = never', "\${API_TOKEN}"], timeout: 1s }
`, { '.env': 'API_TOKEN=hunter2-probe-secret\n' })
    for (const args of [['up'], ['restart', 's']]) {
      const r = await p.run(args)
      assert.equal(r.exitCode, 1, show(r))
      // The progress line and the failure below it both quote the probe.
      assert.equal(r.stderr.match(/s: not ready after 1s \(exec \["sh","-c","test \\"\$0\\" = never","\*\*\*"\]\)/g)?.length, 2, show(r))
      assert.doesNotMatch(r.stdout + r.stderr, /hunter2/, show(r))
    }
  })
})

describe('a command that cannot run', () => {
  for (const c of MISSING) {
    test(`${c.form}: up exits 1 and says why`, async () => {
      const p = new TestProject(`version: 1
project: missing
services:
  s:
    command: ${c.command}
    ready: { log: never printed }
  d:
    command: ${svc('d')}
    depends_on: { s: healthy }
`)
      const r = await p.run(['up'])
      assert.equal(r.exitCode, 1, show(r))
      assertNoStackTrace(r)
      assert.match(r.stderr, c.says, show(r))
      assert.match(r.stderr, c.log, show(r))
      assert.deepEqual(p.eventsOf('d'), [])
    })
  }
})

describe('an unhealthy service', () => {
  test('up fails naming a running service that turned unhealthy, rather than waiting for it forever', async () => {
    const [port] = await freePorts(1)
    const p = new TestProject(`version: 1
project: unhealthy
services:
  s:
    command: ${svc('s', '--http', port)}
    port: ${port}
    ready: { http: /health, interval: 200ms }
  d:
    command: ${svc('d')}
    depends_on: { s: healthy }
`)
    await p.up('s')
    p.touch('s.sick')
    await until(async () => (await p.service('s')).health === 'unhealthy', 's turns unhealthy')
    const r = await p.run(['up'])
    assert.equal(r.exitCode, 1, show(r))
    assert.match(r.stderr, new RegExp(`s: unhealthy: 3 probes in a row failed \\(GET http://127.0.0.1:${port}/health\\)`), show(r))
    assert.match(r.stderr, /not started: d \(s/, show(r))
    assert.deepEqual(p.eventsOf('d'), [])
    // Healthy again, up goes on.
    removeFile(p.path('s.sick'))
    await until(async () => (await p.service('s')).health === 'healthy', 's is healthy again')
    await p.up()
    await p.when('d', 'start')
  })
})

describe('a port already in use', () => {
  test('is reported before starting, with the pid that holds it; nothing is started in its place', async () => {
    const [port] = await freePorts(1)
    const holder = net.createServer()
    await new Promise<void>((resolve) => holder.listen({ host: '127.0.0.1', port }, resolve))
    const p = new TestProject(`version: 1
project: busy
services:
  api:
    command: ${svc('api', '--http', port)}
    port: ${port}
    ready: { http: /health }
  web:
    command: ${svc('web')}
    depends_on: [api]
  other:
    command: ${svc('other')}
`)
    try {
      const r = await p.run(['up'])
      assert.equal(r.exitCode, 1, show(r))
      assertNoStackTrace(r)
      assert.match(r.stderr, new RegExp(`api: port ${port} is already in use by pid ${process.pid}\\b`), show(r))
      // The hint that came with the failure reaches the user too.
      assert.match(r.stderr, /api: port .*\n\s+hint: stop what holds it, or give the service another port/, show(r))
      assert.match(r.stderr, /not started: web \(api failed\)/, show(r))
      assert.deepEqual(p.eventsOf('api'), [], 'api was not started')
      assert.deepEqual(p.eventsOf('web'), [])
      await p.when('other', 'start')
    } finally {
      await new Promise((r) => holder.close(r))
    }
    // Once the port is free, up converges.
    await p.up()
    assert.equal((await p.service('api')).health, 'healthy')
    await p.when('web', 'start')
  })

  test("a start that never ran shows no log lines, not an earlier run's: after down, and on restart", async () => {
    const [port] = await freePorts(1)
    const p = new TestProject(`version: 1
project: busyagain
services:
  api:
    command: ${svc('api', '--lines', '2', '--http', port, '--crash-when', 'crash')}
    port: ${port}
    ready: { http: /health }
`)
    const hold = async () => {
      const holder = net.createServer()
      await new Promise<void>((resolve) => holder.listen({ host: '127.0.0.1', port }, resolve))
      return () => new Promise((r) => holder.close(r))
    }
    const noEarlierLines = (r: Run) => {
      assert.match(r.stderr, new RegExp(`api: port ${port} is already in use by pid ${process.pid}\\b`), show(r))
      assert.doesNotMatch(r.stderr, /api line|log lines? of api|wrote nothing/, show(r))
    }
    // A run that printed, then down: its lines stay in the log.
    await p.up()
    assert.equal((await p.run(['down'])).exitCode, 0)
    let release = await hold()
    try {
      const r = await p.run(['up'])
      assert.equal(r.exitCode, 1, show(r))
      noEarlierLines(r)
      const json = await p.json<{ results: { service: string; status: string; logs?: string[]; started?: boolean }[] }>(['up'], 1)
      assert.deepEqual(json.results.map((x) => [x.service, x.status, x.logs, x.started]), [['api', 'failed', [], false]])
    } finally {
      await release()
    }
    // Known to the supervisor (it ran, printed and crashed): a restart that cannot start it either.
    await p.up()
    p.touch('crash')
    await until(async () => (await p.service('api')).actual === 'exited', 'api exits')
    removeFile(p.path('crash'))
    release = await hold()
    try {
      const r = await p.run(['restart', 'api'])
      assert.equal(r.exitCode, 1, show(r))
      noEarlierLines(r)
    } finally {
      await release()
    }
    await p.up()
  })
})

// A service that exits with `code` once the test says so (the file `crash`), and again at once in
// every restart; how often it runs under each policy. (Gated, so up never sees it exit.)
const POLICIES: { policy: string; code: number; max?: number; runs: number; restarts: number }[] = [
  { policy: 'no', code: 1, runs: 1, restarts: 0 },
  { policy: 'on-failure', code: 0, runs: 1, restarts: 0 },
  { policy: 'on-failure', code: 2, max: 2, runs: 3, restarts: 2 },
  { policy: 'always', code: 0, max: 2, runs: 3, restarts: 2 },
  { policy: 'always', code: 5, max: 1, runs: 2, restarts: 1 },
]

describe('restart policies', () => {
  for (const c of POLICIES) {
    test(`restart: ${c.policy}${c.max !== undefined ? `, max_restarts: ${c.max}` : ''}, exit ${c.code}: runs ${c.runs} time(s), then stays exited`, async () => {
      const p = new TestProject(`version: 1
project: policy
services:
  s:
    command: ${svc('s', '--crash-when', 'crash', '--crash-code', c.code)}
    restart: ${c.policy}
${c.max !== undefined ? `    max_restarts: ${c.max}\n` : ''}    backoff: 100ms
`)
      await p.up()
      p.touch('crash')
      let row: StatusRow | undefined
      await until(async () => (row = await p.service('s')).actual === 'exited' && p.eventsOf('s', 'exit').length >= c.runs, 's has exited for good', () => `${JSON.stringify(row)}\n${p.eventLog()}`)
      assert.equal(p.eventsOf('s', 'start').length, c.runs, p.eventLog())
      assert.equal(row!.restarts, c.restarts)
      assert.equal(row!.exit_code, c.code)
      // Nothing waits for it to complete, so it is no job done but a service that is gone: up starts it again.
      assert.deepEqual([row!.action, row!.reasons], ['create', [`not running (exited with code ${c.code})`]])
      // Each run is a new process.
      const pids = p.eventsOf('s', 'start').map((e) => e.pid)
      assert.equal(new Set(pids).size, pids.length)
    })
  }

  test('a crash after being up is restarted in place: new pid, restarts counted, status running', async () => {
    const p = new TestProject(`version: 1
project: heal
services:
  s:
    command: ${svc('s', '--crash-when', 'crash')}
    restart: always
    backoff: 100ms
`)
    await p.up()
    const first = await p.when('s', 'start')
    p.touch('crash')
    await until(() => p.eventsOf('s', 'start').length >= 2, 's restarted', () => p.eventLog())
    const row = await p.service('s')
    assert.ok(row.restarts >= 1, JSON.stringify(row))
    assert.notEqual(p.last('s', 'start').pid, first.pid)
  })

  test('backoff doubles: each wait before a restart is longer than the one before', async () => {
    const p = new TestProject(`version: 1
project: backoff
services:
  s:
    command: ${svc('s', '--crash-when', 'crash')}
    restart: on-failure
    max_restarts: 3
    backoff: 400ms
`)
    await p.up()
    p.touch('crash')
    await until(async () => (await p.service('s')).actual === 'exited' && p.eventsOf('s', 'start').length === 4, 's gave up after 3 restarts', () => p.eventLog())
    const exits = p.eventsOf('s', 'exit')
    const starts = p.eventsOf('s', 'start')
    // The wait before restart i: from the exit of run i to the start of run i+1.
    const waits = [0, 1, 2].map((i) => starts[i + 1].t - exits[i].t)
    assert.ok(waits[0] < waits[1] && waits[1] < waits[2], `waits should grow: ${waits.map((w) => `${Number(w / 1_000_000n)}ms`).join(', ')}`)
  })
})
