/**
 * The plan and its walk, in process (compose's reconcile_test.go and plan_executor tests): a plan
 * compared as text, and the executor driving a fake backend that records what it is asked to do.
 * Pure logic: the real backends are tested with real processes and a real engine elsewhere.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { reconcile, type ReconcileInput } from '../../src/plan/reconcile.js'
import { evaluate, type Lifecycle, type WaitCondition } from '../../src/plan/conditions.js'
import type { Actual, Desired, Plan, ResourceStep } from '../../src/plan/plan.js'
import { planJson, planText, renderPlan } from '../../src/render/plan.js'
import { execute } from '../../src/app/executor.js'
import { DependencyFailed, ServiceFailed, type Backend, type DownResult, type ServiceResult } from '../../src/backends/backend.js'
import type { Project } from '../../src/config/types.js'

/** Desired services from `name: dep(condition[,restart]) ...` lines. */
function desired(spec: string): Desired[] {
  return spec
    .trim()
    .split('\n')
    .map((line) => {
      const [name, deps = ''] = line.split(':').map((s) => s.trim())
      const [n, hash = 'h1'] = name.split('@')
      const dependsOn = Object.fromEntries(
        deps
          .split(/\s+/)
          .filter(Boolean)
          .map((d) => {
            const [dep, opts = 'started'] = d.replace(')', '').split('(')
            const [condition, restart] = opts.split(',')
            return [dep, { condition: condition as WaitCondition & Desired['dependsOn'][string]['condition'], restart: restart === 'restart' }]
          }),
      )
      return { name: n, hash, fingerprint: { command: hash, 'env.A': hash === 'h2' ? 'x2' : 'x1' }, dependsOn }
    })
}

const running = (name: string, hash = 'h1', extra: Partial<Actual> = {}): Actual => ({ name, state: 'running', health: 'healthy', hash, fingerprint: { command: hash, 'env.A': hash === 'h2' ? 'x2' : 'x1' }, ports: [], restarts: 0, ...extra })

const plan = (input: Omit<ReconcileInput, 'project' | 'environment' | 'mode'>) => reconcile({ project: 'p', environment: 'dev', mode: 'local', ...input })

describe('reconcile, as text', () => {
  const CASES: { name: string; input: Omit<ReconcileInput, 'project' | 'environment' | 'mode'>; text: string }[] = [
    { name: 'nothing runs: everything is created', input: { desired: desired('db:\napi: db(healthy)'), actual: [] }, text: '+ api (create): not running\n+ db (create): not running' },
    { name: 'all in sync', input: { desired: desired('db:\napi: db(healthy)'), actual: [running('db'), running('api')] }, text: '  api (noop)\n  db (noop)' },
    {
      name: 'exited and stopped services are drift, with the exit code',
      input: { desired: desired('a:\nb:\nc:'), actual: [running('a', 'h1', { state: 'exited', exitCode: 3 }), running('b', 'h1', { state: 'stopped' }), running('c', 'h1', { state: 'exited', exitCode: null })] },
      text: '+ a (create): not running (exited with code 3)\n+ b (create): not running (stopped)\n+ c (create): not running (exited)',
    },
    { name: 'a changed field is named', input: { desired: desired('db@h2:'), actual: [running('db')] }, text: '~ db (update): command changed; env.A changed' },
    {
      name: 'a dependent restarts with its dependency only when it opted in (restart: true), transitively',
      input: { desired: desired('db@h2:\napi: db(healthy,restart)\nweb: api(started,restart)\nworker: db(healthy)'), actual: [running('db'), running('api'), running('web'), running('worker')] },
      text: '~ api (update): dependency db restarts\n~ db (update): command changed; env.A changed\n~ web (update): dependency api restarts\n  worker (noop)',
    },
    { name: 'restart requested', input: { desired: desired('db:\napi: db'), actual: [running('db'), running('api')], only: ['db'], restart: ['db'] }, text: '~ db (update): restart requested' },
    {
      name: 'restart db: its running dependents that opted in (restart: true) restart with it, the others do not',
      input: { desired: desired('db:\napi: db(started,restart)\nweb: api(started,restart)\nworker: db\nidle: db(started,restart)'), actual: [running('db'), running('api'), running('web'), running('worker')], only: ['db'], restart: ['db'] },
      text: '~ api (update): dependency db restarts\n~ db (update): restart requested\n~ web (update): dependency api restarts',
    },
    { name: 'a running service that this environment disables is said to be', input: { desired: desired('db:'), actual: [running('db'), running('ui')], disabled: ['ui'] }, text: '  db (noop)\n- ui (delete): disabled in dev' },
    { name: 'what is no longer configured is deleted', input: { desired: desired('db:'), actual: [running('db'), running('old')] }, text: '  db (noop)\n- old (delete): not in the configuration of this environment' },
    { name: 'up SERVICE: it and what it depends on, nothing deleted', input: { desired: desired('db:\napi: db\nweb: api\nother:'), actual: [running('old')], only: ['api'] }, text: '+ api (create): not running\n+ db (create): not running' },
    {
      name: 'a job that completed with this config has done its work, unless restarted',
      input: { desired: desired('job:\napi: job(completed)'), actual: [running('job', 'h1', { state: 'exited', exitCode: 0 }), running('api')] },
      text: '  api (noop)\n  job (noop)',
    },
    {
      name: 'resource steps follow their service; a service going away takes its resources with it',
      input: {
        desired: desired('db:'),
        actual: [running('db'), running('gone')],
        resources: [
          { id: 'datamodel:jobs', kind: 'datamodel', name: 'jobs', service: 'db', action: 'update', causes: [{ kind: 'differs', changes: ['add index title_1'] }] },
          { id: 'datamodel:old', kind: 'datamodel', name: 'old', service: 'gone', action: 'update', causes: [{ kind: 'ensure' }] },
        ],
      },
      text: '  db (noop)\n- gone (delete): not in the configuration of this environment\n~ datamodel:jobs after db (update): add index title_1',
    },
  ]
  for (const c of CASES) test(c.name, () => assert.equal(planText(plan(c.input)), c.text))

  test("reasons in the user's words: keys as written, added and removed, values only where shown", () => {
    const d: Desired = { name: 'api', hash: 'h2', fingerprint: { command: 'c', 'env.A': 'a', 'env.B': 'b', 'ready.timeoutMs': 't2', 'ready.kind': 'k' }, shown: { 'ready.timeout': '20s', ready: 'http' }, dependsOn: {} }
    const a = running('api', 'h1', { fingerprint: { command: 'c', 'env.A': 'a', 'env.OLD': 'o', 'ready.timeoutMs': 't1', 'ready.kind': 'k', 'restart.backoffMs': 'b1' }, shown: { 'ready.timeout': '10s', ready: 'http', backoff: '1s' } })
    assert.equal(planText(plan({ desired: [d], actual: [a] })), '~ api (update): backoff removed; env.B added; env.OLD removed; ready.timeout 10s → 20s')
    // Recorded without values (an older state): said to have changed, no value guessed.
    assert.equal(planText(plan({ desired: [d], actual: [{ ...a, shown: undefined }] })), '~ api (update): backoff removed; env.B added; env.OLD removed; ready.timeout changed')
  })

  test('--json keeps reasons as strings and puts the typed steps beside them', () => {
    const j = planJson(plan({ desired: desired('db@h2:\napi: db(healthy,restart)'), actual: [running('db'), running('api')] }))
    assert.deepEqual(j.changes, [
      { service: 'api', action: 'update', reasons: ['dependency db restarts'] },
      { service: 'db', action: 'update', reasons: ['command changed', 'env.A changed'] },
    ])
    assert.deepEqual(j.steps[0], { service: 'api', action: 'update', causes: [{ kind: 'dependency', name: 'db' }], after: { db: 'healthy' } })
    assert.deepEqual(j.summary, { create: 0, update: 2, delete: 0, noop: 0 })
  })

  test('the human view comes from the same words', () => {
    const text = renderPlan(plan({ desired: desired('db@h2:'), actual: [running('db')], resources: [{ id: 'datamodel:jobs', kind: 'datamodel', name: 'jobs', service: 'db', where: 'app.jobs', action: 'update', causes: [{ kind: 'differs', changes: ['add index title_1'] }] }] }))
    assert.match(text, /~ db.*\n\s+command changed\n\s+env\.A changed/)
    assert.match(text, /~ datamodel jobs \(app\.jobs\)\n\s+add index title_1/)
    assert.match(text, /Plan: 0 to create, 1 to update, 0 to delete, 0 unchanged; 1 datamodel to update\./)
  })
})

describe('conditions, decided once', () => {
  const l = (x: Partial<Lifecycle>): Lifecycle => ({ status: 'running', health: 'unknown', hasProbe: true, ...x })
  const CASES: [WaitCondition, Partial<Lifecycle>, string][] = [
    ['started', { status: 'starting' }, 'ok'],
    ['started', { status: 'created' }, 'pending'],
    ['started', { status: 'exited', exitCode: 0 }, 'ok'],
    ['started', { status: 'exited', exitCode: 1, failure: 'exited with code 1' }, 'fail: exited with code 1'],
    ['healthy', { status: 'starting' }, 'pending'],
    ['healthy', { health: 'healthy' }, 'ok'],
    ['healthy', { health: 'unhealthy', failure: 'unhealthy (tcp port 1)' }, 'fail: unhealthy (tcp port 1)'],
    ['healthy', { status: 'stopped' }, 'fail: stopped'],
    ['completed', { status: 'running' }, 'pending'],
    ['completed', { status: 'exited', exitCode: 0 }, 'ok'],
    ['completed', { status: 'exited', exitCode: 2 }, 'fail: exited with code 2'],
    ['completed', { status: 'stopped' }, 'fail: stopped before completing'],
    ['ready', { hasProbe: false, status: 'running' }, 'ok'],
    ['ready', { hasProbe: true, status: 'running' }, 'pending'],
    ['ready', { status: 'absent', failure: 'no container was created' }, 'fail: no container was created'],
    ['healthy', { status: 'exited', exitCode: 1, between: true }, 'pending'],
    // ready.settle: without a probe, ready means it stays up; a crash meanwhile is a failure.
    ['ready', { hasProbe: false, status: 'running', upMs: 300, settleMs: 1000 }, 'pending'],
    ['ready', { hasProbe: false, status: 'running', upMs: 1200, settleMs: 1000 }, 'ok'],
    ['ready', { hasProbe: false, status: 'starting', restarting: true, exitCode: 2 }, 'fail: exited with code 2; restarting (crash loop)'],
    ['ready', { hasProbe: false, status: 'starting', restarting: true, exitCode: 0 }, 'pending'],
    ['ready', { hasProbe: true, status: 'starting', restarting: true, exitCode: 2 }, 'pending'],
    ['started', { status: 'running', upMs: 10, settleMs: 1000 }, 'ok'],
    ['completed', { status: 'starting', restarting: true, exitCode: 1 }, 'pending'],
  ]
  for (const [condition, lifecycle, verdict] of CASES) {
    test(`${condition} on ${JSON.stringify(lifecycle)}: ${verdict}`, () => {
      const v = evaluate(condition, l(lifecycle))
      assert.equal(typeof v === 'string' ? v : `fail: ${v.fail}`, verdict)
    })
  }
})

/**
 * A backend that only records: `start X`, `stop X`, `ready X` (its waitFor said ready)... A
 * service named in `fails` fails its start or its wait with that reason.
 */
class FakeBackend implements Backend {
  log: string[] = []
  constructor(protected fails: Record<string, { at: 'start' | 'ready'; reason: string; hints?: string[] }> = {}, private exited: string[] = []) {}
  async observe() {
    return { actual: this.exited.map((name) => ({ name, state: 'exited' as const, health: 'unknown' as const, exitCode: 1, ports: [], restarts: 0 })), notes: [] }
  }
  async prepare() {
    this.log.push('prepare')
  }
  async start(_p: Project, step: Plan['steps'][number]) {
    await tick()
    const f = this.fails[step.service]
    if (f?.at === 'start') throw new ServiceFailed(step.service, f.reason, f.hints)
    this.log.push(`start ${step.service}`)
  }
  async stop(_p: Project, service: string, opts: { remove: boolean }) {
    await tick()
    this.log.push(`${opts.remove ? 'remove' : 'stop'} ${service}`)
  }
  async waitFor(_p: Project, service: string, condition: WaitCondition) {
    await tick()
    const f = this.fails[service]
    if (f?.at === 'ready') throw new ServiceFailed(service, f.reason)
    if (condition === 'ready') this.log.push(`ready ${service}`)
  }
  async tail(_p: Project, service: string) {
    return [`last line of ${service}`]
  }
  async finish() {
    this.log.push('finish')
  }
  async down(): Promise<DownResult> {
    return { results: [] }
  }
  async logs() {}
}

/**
 * A backend that holds starts until their dependencies are ready, as the local supervisor does:
 * `hold X until d condition` when asked, `start X` once every dependency has started (its
 * conditions are taken to hold then); a dependency that fails or was called off calls X off.
 */
class HoldingBackend extends FakeBackend {
  private calledOff = new Set<string>()
  // Readiness takes a while, so that what is handed over before it shows.
  async waitFor(p: Project, service: string, condition: WaitCondition) {
    for (let i = 0; i < 4; i++) await tick()
    return super.waitFor(p, service, condition)
  }
  async startAfter(_p: Project, step: Plan['steps'][number], after: Record<string, WaitCondition>, opts: { accepted(): void }) {
    await tick()
    this.log.push(`hold ${step.service} until ${Object.entries(after).map(([d, c]) => `${d} ${c}`).join(', ')}`)
    opts.accepted()
    for (const dep of Object.keys(after)) {
      while (!this.log.includes(`start ${dep}`)) {
        const failure = this.fails[dep]?.reason ?? (this.calledOff.has(dep) ? 'not started' : undefined)
        if (failure) {
          this.calledOff.add(step.service)
          throw new DependencyFailed(step.service, dep, failure)
        }
        await tick()
      }
      if (this.fails[dep]?.at === 'ready') {
        this.calledOff.add(step.service)
        throw new DependencyFailed(step.service, dep, this.fails[dep].reason)
      }
    }
    this.log.push(`start ${step.service}`)
  }
}

const tick = () => new Promise((r) => setImmediate(r))
const project = { name: 'p', environment: 'dev', mode: 'local', services: {} } as unknown as Project

async function run(p: Plan, backend: FakeBackend, resources?: string[]) {
  const progress: string[] = []
  const results = await execute(project, backend, p, {
    progress: { update: () => {}, done: (r) => progress.push(r.service) },
    resources: async (service, steps) => {
      // Slower than a start: what does not wait for them is seen to go ahead.
      for (let i = 0; i < 4; i++) await tick()
      backend.log.push(`resources ${service}: ${steps.map((s) => s.id).join(', ')}`)
      if (resources?.includes(service)) throw new Error(`cannot apply the datamodels of ${service}`)
    },
  })
  const text = [...results].sort((a, b) => a.service.localeCompare(b.service)).map((r) => `${r.status === 'done' ? '✔' : r.status === 'failed' ? '✖' : '-'} ${r.service} (${r.action})${r.status === 'done' ? '' : `: ${r.reason}`}${r.status === 'failed' && r.hints ? ` [hint: ${r.hints.join('; ')}]` : ''}`)
  return { log: backend.log, results: text.join('\n') }
}

/** Where each entry of `log` is, to compare orders that concurrency leaves partly open. */
const before = (log: string[], a: string, b: string) => assert.ok(log.indexOf(a) >= 0 && log.indexOf(a) < log.indexOf(b), `${a} before ${b}: ${log.join(', ')}`)

describe('the executor', () => {
  test('Ctrl-C that cuts prepare short: every service is skipped as interrupted, not failed with its error, and finish runs', async () => {
    const abort = new AbortController()
    const backend = new (class extends FakeBackend {
      async prepare() {
        this.log.push('prepare')
        abort.abort()
        throw new Error('docker network create failed: ')
      }
    })()
    const results = await execute(project, backend, plan({ desired: desired('db:\napi: db(healthy)'), actual: [] }), { progress: { update: () => {}, done: () => {} }, signal: abort.signal })
    assert.deepEqual(backend.log, ['prepare', 'finish'])
    assert.deepEqual(results.map((r) => [r.service, r.status, r.status === 'skipped' ? r.reason : '']).sort(), [['api', 'skipped', 'not started: db was not started'], ['db', 'skipped', 'interrupted']])
  })

  test('a chain starts in dependency order, each once the one before is ready', async () => {
    const { log, results } = await run(plan({ desired: desired('db:\napi: db(healthy)\nweb: api(started)'), actual: [] }), new FakeBackend())
    assert.deepEqual(log, ['prepare', 'start db', 'ready db', 'start api', 'ready api', 'start web', 'ready web', 'finish'])
    assert.equal(results, '✔ api (create)\n✔ db (create)\n✔ web (create)')
  })

  test('independent services start together', async () => {
    const { log } = await run(plan({ desired: desired('a:\nb:\nc: a b'), actual: [] }), new FakeBackend())
    // Both starts are asked for before either is ready.
    before(log, 'start b', 'ready a')
    before(log, 'ready a', 'start c')
    before(log, 'ready b', 'start c')
  })

  test('an update stops dependents first, then starts in dependency order; a delete is removed', async () => {
    const { log, results } = await run(plan({ desired: desired('db@h2:\napi: db(healthy,restart)'), actual: [running('db'), running('api'), running('old')] }), new FakeBackend())
    before(log, 'stop api', 'stop db')
    before(log, 'stop db', 'start db')
    before(log, 'ready db', 'start api')
    assert.ok(log.includes('remove old'), log.join(', '))
    assert.equal(results, '✔ api (update)\n✔ db (update)\n✔ old (delete)')
  })

  test('a failure skips what depends on it, transitively; the rest goes on', async () => {
    const backend = new FakeBackend({ api: { at: 'ready', reason: 'exited with code 1' } })
    const { log, results } = await run(plan({ desired: desired('db:\napi: db\nweb: api\nother:'), actual: [] }), backend)
    assert.equal(results, '✖ api (create): exited with code 1\n✔ db (create)\n✔ other (create)\n- web (create): not started: api failed')
    assert.ok(!log.includes('start web'))
  })

  test('a chain of skips says which dependency was not started', async () => {
    const { results } = await run(plan({ desired: desired('db:\napi: db\nweb: api'), actual: [] }), new FakeBackend({ db: { at: 'start', reason: 'port 1 is already in use', hints: ['stop what holds it'] } }))
    assert.equal(results, '- api (create): not started: db failed\n✖ db (create): port 1 is already in use [hint: stop what holds it]\n- web (create): not started: api was not started')
  })

  test('a service left running waits for nothing and is not started, but is waited for until ready', async () => {
    const { log, results } = await run(plan({ desired: desired('db:\napi: db(healthy)'), actual: [running('api')] }), new FakeBackend())
    assert.deepEqual(log, ['prepare', 'start db', 'ready api', 'ready db', 'finish'])
    assert.equal(results, '✔ api (noop)\n✔ db (create)')
  })

  test('completed: the dependent waits for the job (its wait is on completed, not ready)', async () => {
    const backend = new FakeBackend()
    const waits: string[] = []
    backend.waitFor = async (_p, service, condition) => {
      await tick()
      waits.push(`${service} ${condition}`)
    }
    await run(plan({ desired: desired('job:\napi: job(completed)'), actual: [] }), backend)
    assert.deepEqual(waits, ['job ready', 'job completed', 'api ready'])
  })

  test('resource steps run once their service is ready and before its healthy dependents start; a started dependent does not wait for them', async () => {
    const resources: ResourceStep[] = [{ id: 'datamodel:jobs', kind: 'datamodel', name: 'jobs', service: 'db', action: 'update', causes: [{ kind: 'ensure' }] }]
    const { log } = await run(plan({ desired: desired('db:\napi: db(healthy)\nlogger: db(started)'), actual: [], resources }), new FakeBackend())
    before(log, 'ready db', 'resources db: datamodel:jobs')
    before(log, 'resources db: datamodel:jobs', 'start api')
    before(log, 'start logger', 'resources db: datamodel:jobs')
  })

  test('a resource step that fails fails its service, and its healthy dependents are not started', async () => {
    const resources: ResourceStep[] = [{ id: 'datamodel:jobs', kind: 'datamodel', name: 'jobs', service: 'db', action: 'update', causes: [{ kind: 'ensure' }] }]
    const { results } = await run(plan({ desired: desired('db:\napi: db(healthy)'), actual: [], resources }), new FakeBackend(), ['db'])
    assert.equal(results, '- api (create): not started: db failed\n✖ db (create): cannot apply the datamodels of db')
  })

  test('the resources of a database left running are brought up to date once it answers', async () => {
    const resources: ResourceStep[] = [{ id: 'datamodel:jobs', kind: 'datamodel', name: 'jobs', service: 'db', action: 'update', causes: [{ kind: 'ensure' }] }]
    const { log } = await run(plan({ desired: desired('db:'), actual: [running('db')], resources }), new FakeBackend())
    assert.deepEqual(log, ['prepare', 'ready db', 'resources db: datamodel:jobs', 'finish'])
  })

  test('a service that was started and is already gone again did not come up', async () => {
    const { results } = await run(plan({ desired: desired('a:'), actual: [] }), new FakeBackend({}, ['a']))
    assert.equal(results, '✖ a (create): exited with code 1')
  })

  test('a backend that holds starts is handed each dependent as soon as its dependencies are under way, with what it waits for', async () => {
    const { log, results } = await run(plan({ desired: desired('db:\napi: db(healthy)\nweb: api(started) db(started)'), actual: [] }), new HoldingBackend())
    // The dependents' starts are handed over before anything is ready: the backend decides when.
    before(log, 'hold api until db healthy', 'ready db')
    const web = log.find((l) => l.startsWith('hold web until')) ?? ''
    assert.deepEqual(web.replace('hold web until ', '').split(', ').sort(), ['api started', 'db started'])
    before(log, web, 'ready db')
    before(log, 'start db', 'start api')
    before(log, 'start api', 'start web')
    assert.equal(results, '✔ api (create)\n✔ db (create)\n✔ web (create)')
  })

  test('a held start is not handed over while resource steps must come first: those still run between', async () => {
    const resources: ResourceStep[] = [{ id: 'datamodel:jobs', kind: 'datamodel', name: 'jobs', service: 'db', action: 'update', causes: [{ kind: 'ensure' }] }]
    const { log } = await run(plan({ desired: desired('db:\napi: db(healthy)\nlogger: db(started)'), actual: [], resources }), new HoldingBackend())
    before(log, 'resources db: datamodel:jobs', 'start api')
    assert.ok(!log.some((l) => l.startsWith('hold api')), log.join(', '))
    before(log, 'hold logger until db started', 'resources db: datamodel:jobs')
  })

  test('a held start called off because its dependency failed is skipped, as a gate would skip it, transitively', async () => {
    const { log, results } = await run(plan({ desired: desired('db:\napi: db(healthy)\nweb: api\nother:'), actual: [] }), new HoldingBackend({ db: { at: 'ready', reason: 'exited with code 1' } }))
    assert.equal(results, '- api (create): not started: db failed\n✖ db (create): exited with code 1\n✔ other (create)\n- web (create): not started: api was not started')
    assert.ok(!log.includes('start api') && !log.includes('start web'), log.join(', '))
  })
})
