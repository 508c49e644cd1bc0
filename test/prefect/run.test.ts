/**
 * `pulpo prefect run` with the BUILT binary against real Prefect 3: a copy of the fixture project
 * (test/fixtures/prefect/pipeline) whose Prefect server `pulpo up prefect` starts once for the file
 * on a free port, so every run goes through it (its stderr says so) and the tests can ask Prefect's
 * REST API what it recorded: flow runs, their parents, task runs and attempts.
 *
 * Concurrency is checked with timestamps the operations record themselves, never with durations.
 * Sibling subflows meet at a rendezvous (each waits until the other has started) instead of merely
 * sleeping: with Prefect's SQLite database the server now and then refuses to create one of two
 * concurrent subflow runs (HTTP 503, "database is locked") and the client retries 2 s later, and
 * twice in a row 6 s later, so a sleep of any fixed length could end before its sibling starts.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync, existsSync } from 'node:fs'
import { execa } from 'execa'
import { BIN, freePorts } from '../cli/helpers.js'
import { assertNoStackTrace, assertOverlap, assertRunShape, assertVenv, ensureBinary, PrefectProject, show, until, UUID, type ApiFlowRun } from './helpers.js'

let p: PrefectProject

before(async () => {
  assertVenv()
  await ensureBinary()
  p = await PrefectProject.copy('pipeline')
  await p.up('prefect')
}, { timeout: 300_000 })

after(async () => {
  await p?.cleanup()
}, { timeout: 120_000 })

const T = { timeout: 180_000 }

describe('pulpo prefect run: which Prefect server', () => {
  test('without -e it runs on the server of the environment `pulpo up` applied, not the file default', T, async (t) => {
    const q = await PrefectProject.copy('pipeline')
    t.after(() => q.cleanup())
    const [other] = await freePorts(1)
    // The environment's own variables reach the flow run (whoami returns PULPO_SERVICE as it sees it).
    appendFileSync(q.path('pulpo.yaml'), `\nenvironments:\n  dev: { mode: local }\n  other:\n    env: { PULPO_SERVICE: from-other }\n    services:\n      prefect: { port: ${other} }\n`)
    const up = await q.run(['up', '-e', 'other', 'prefect'])
    assert.equal(up.exitCode, 0, show(up))
    const { out } = await q.flow(['whoami'])
    assert.equal(out.api_url, `http://127.0.0.1:${other}/api`)
    assert.equal(out.state, 'COMPLETED')
    assert.equal((out.result as { service: string }).service, 'from-other')
  })
})

describe('pulpo prefect run: names, output, the contract', () => {
  test("runs on the project's Prefect server and says so; the result on stdout, the operation's prints too", T, async () => {
    const r = await p.run(['prefect', 'run', 'hello', '--param', 'name=pulpo'])
    assert.equal(r.exitCode, 0, show(r))
    assert.match(r.stderr, new RegExp(`running hello_flow on the project's Prefect server \\(${p.api.replace(/[./]/g, '\\$&')}\\)`))
    assert.doesNotMatch(r.stderr, /ephemeral/)
    assert.match(r.stderr, /✔ hello_flow completed \(flow run [0-9a-f-]{36}\)/)
    assert.match(r.stdout, /saying hello to pulpo/)
    assert.equal(r.stdout.trim().split('\n').at(-1), '"hello, pulpo"')
    assertNoStackTrace(r)
  })

  test('--json prints exactly one JSON object of the contract shape on stdout, and nothing else', T, async () => {
    const { out, run } = await p.flow(['hello', '--param', 'name=json'])
    assertRunShape(out)
    assert.deepEqual({ flow: out.flow, state: out.state, result: out.result }, { flow: 'hello_flow', state: 'COMPLETED', result: 'hello, json' })
    // The operation's print went to stderr with the flow's logs, not into the JSON.
    assert.doesNotMatch(run.stdout, /saying hello/)
    assert.match(run.stderr, /saying hello to json/)
    // The id is the flow run Prefect recorded.
    const fr = await p.flowRun(out.flow_run_id)
    assert.equal(fr.state_type, 'COMPLETED')
    assert.equal(await p.flowName(fr), 'hello_flow')
  })

  test('accepts scraping_flow, scraping and scraping.stepstone (a subflow on its own)', T, async () => {
    for (const name of ['scraping_flow', 'scraping']) {
      const { out } = await p.flow([name, '--param', 'keywords=py'])
      assert.equal(out.flow, 'scraping_flow')
      assert.equal(out.state, 'COMPLETED')
      // merge received both subflows' results, as keyword arguments named after them.
      assert.deepEqual(out.result, [
        { source: 'stepstone', keywords: 'py' },
        { source: 'linkedin', keywords: 'py', page: 1, pages_type: 'int' },
      ])
    }
    const { out } = await p.flow(['scraping.stepstone', '--param', 'keywords=go'])
    assert.equal(out.flow, 'scraping.stepstone')
    assert.deepEqual(out.result, [{ source: 'stepstone', keywords: 'go' }])
    // On its own, the subflow's run is a top-level flow run, with no parent.
    const fr = await p.flowRun(out.flow_run_id)
    assert.equal(fr.parent_task_run_id, null)
    assert.equal(await p.flowName(fr), 'scraping.stepstone')
    // A standalone by its own name and by its flow's.
    for (const name of ['hello', 'hello_flow']) assert.equal((await p.flow([name])).out.result, 'hello, world')
  })

  test('an unknown flow is a usage error (exit 2) that lists the flows and suggests the nearest', T, async () => {
    const r = await p.run(['prefect', 'run', 'nope'])
    assert.equal(r.exitCode, 2, show(r))
    assert.match(r.stderr, /no flow 'nope'/)
    assert.match(r.stderr, /flows: broken_flow, deep_flow, .*scraping_flow/)
    assertNoStackTrace(r)
    const typo = await p.run(['prefect', 'run', 'scrapping'])
    assert.equal(typo.exitCode, 2, show(typo))
    assert.match(typo.stderr, /did you mean 'scraping'\?/)
  })
})

describe('pulpo prefect run: parameters', () => {
  test('--param pages=2 arrives as the int 2, and Prefect records it as a number', T, async () => {
    const { out } = await p.flow(['scraping.linkedin', '--param', 'keywords=py', '--param', 'pages=2'])
    assert.deepEqual(out.result, [
      { source: 'linkedin', keywords: 'py', page: 1, pages_type: 'int' },
      { source: 'linkedin', keywords: 'py', page: 2, pages_type: 'int' },
    ])
    // Prefect recorded the typed value as the flow run's parameter.
    assert.deepEqual((await p.flowRun(out.flow_run_id)).parameters, { keywords: 'py', pages: 2 })
  })

  test('every type from --param (list and dict as JSON), from --params JSON, and --param over --params', T, async () => {
    const typed = (result: unknown) => Object.fromEntries(Object.entries(result as Record<string, { value: unknown; type: string }>).map(([k, v]) => [k, [v.value, v.type]]))
    const fromParam = await p.flow(['kinds', '--param', 'text=hi', '--param', 'count=3', '--param', 'ratio=2.5', '--param', 'flag=true', '--param', 'tags=["a", 1]', '--param', 'meta={"k": [1, 2]}'])
    assert.deepEqual(typed(fromParam.out.result), {
      text: ['hi', 'str'], count: [3, 'int'], ratio: [2.5, 'float'], flag: [true, 'bool'], tags: [['a', 1], 'list'], meta: [{ k: [1, 2] }, 'dict'],
      quoted: [`""" '; rm -rf / # \\ \${HOME}`, 'str'],
    })
    const fromJson = await p.flow(['kinds', '--params', JSON.stringify({ text: 'hi', count: 3, ratio: 2.5, flag: true, tags: ['a', 1], meta: { k: [1, 2] } })])
    assert.deepEqual(typed(fromJson.out.result), typed(fromParam.out.result))
    // A numeric-looking text stays a str; --param wins over the same name in --params.
    const both = await p.flow(['kinds', '--params', '{"text": "from json", "count": 7}', '--param', 'text=007', '--param', 'flag=false'])
    const r = typed(both.out.result)
    assert.deepEqual([r.text, r.count, r.flag], [['007', 'str'], [7, 'int'], [false, 'bool']])
  })

  test('parameters travel as data: quotes, shell syntax and ${VARS} arrive verbatim', T, async () => {
    const canary = p.path('pwned')
    const nasty = [`'; rm -rf / #`, '"""', "'''", '${HOME}', '$HOME', `$(touch ${canary})`, `\`touch ${canary}\``, 'a\\nb \\ "c"', 'line one\nline two', 'ünï € \u2028 end', '{{ jinja }} %s %(x)s {0}']
    // All of it in one value through --param (argv), then through --params (JSON), nested too.
    const text = nasty.join(' | ')
    const viaParam = await p.flow(['kinds', '--param', `text=${text}`])
    assert.equal((viaParam.out.result as Record<string, { value: unknown }>).text.value, text)
    const { out } = await p.flow(['kinds', '--params', JSON.stringify({ text, meta: { [`'; rm -rf / #`]: '"""', '${HOME}': nasty } })])
    const result = out.result as Record<string, { value: unknown }>
    assert.equal(result.text.value, text)
    assert.deepEqual(result.meta.value, { [`'; rm -rf / #`]: '"""', '${HOME}': nasty })
    // The default from pulpo.yaml is data too.
    assert.equal(result.quoted.value, `""" '; rm -rf / # \\ \${HOME}`)
    assert.ok(!existsSync(canary), 'a parameter was run as a command')
  })

  test('unknown, missing and malformed parameters are usage errors (exit 2) that name them, and start no flow run', T, async () => {
    const runsBefore = await p.flowRunCount()
    const cases: [string[], RegExp][] = [
      [['scraping', '--param', 'keywrds=py'], /scraping_flow has no parameter 'keywrds'[\s\S]*did you mean 'keywords'\?/],
      [['scraping', '--param', 'keywords=py', '--param', 'color=red'], /scraping_flow has no parameter 'color'[\s\S]*parameters: keywords, pages/],
      [['scraping'], /scraping_flow needs keywords \(str\)[\s\S]*--param keywords=/],
      [['flaky', '--params', '{}'], /flaky_flow needs key \(str\)/],
      [['hello', '--params', '{"name": "x", "nme": "y"}'], /hello_flow has no parameter 'nme'/],
      [['hello', '--params', '{not json'], /--params is not valid JSON/],
      [['hello', '--params', '["name"]'], /--params must be a JSON object/],
      [['hello', '--param', 'name'], /--param name: write it as name=value/],
      [['kinds', '--param', 'text=x', '--param', 'tags=a,b'], /--param tags: tags is a list; write it as JSON/],
      [['kinds', '--param', 'text=x', '--param', 'meta=[1]'], /--param meta: meta is a dict; write it as JSON/],
      [['scraping.linkedin', '--param', 'keywords=x', '--param', 'pages=two'], /--param pages: pages is an int, and "two" is not one/],
      [['kinds', '--param', 'text=x', '--param', 'ratio=1,5'], /--param ratio: ratio is a float, and "1,5" is not one/],
      [['kinds', '--param', 'text=x', '--param', 'flag=maybe'], /--param flag: flag is a bool, and "maybe" is not one[\s\S]*write true or false/],
    ]
    for (const [args, message] of cases) {
      const r = await p.run(['prefect', 'run', ...args])
      assert.equal(r.exitCode, 2, `prefect run ${args.join(' ')}: ${show(r)}`)
      assert.match(r.stderr, message, `prefect run ${args.join(' ')}`)
      assertNoStackTrace(r)
    }
    assert.equal(await p.flowRunCount(), runsBefore, 'a usage error started a flow run')
  })

  test("a --params value Prefect cannot convert to the parameter's type fails the run (exit 1) naming the parameter", T, async () => {
    const { out, run } = await p.flow(['scraping.linkedin', '--params', '{"keywords": "py", "pages": "two"}'], 1)
    assertRunShape(out)
    assert.equal(out.state, 'FAILED')
    assert.match(out.error ?? '', /pages/)
    assertNoStackTrace(run)
  })

  test('--deployment when no deployment is registered: exit 1, and how to register one', T, async () => {
    const r = await p.run(['prefect', 'run', 'hello', '--deployment'])
    assert.equal(r.exitCode, 1, show(r))
    assert.match(r.stderr, /cannot run the deployment of hello_flow/)
    assert.match(r.stderr, /pulpo prefect deploy/)
    assertNoStackTrace(r)
  })

  test('names the generated code uses itself (a parameter `start`, an input `call`) work as any other', T, async () => {
    const { out } = await p.flow(['shadow', '--param', 'start=2024-01-01'])
    assert.deepEqual(out.result, { call: { start: '2024-01-01' } })
  })
})

describe('pulpo prefect run: failures and retries', () => {
  test("an operation's exception: exit 1 with its message, no TypeScript stack trace; siblings finish, dependents never run", T, async () => {
    const r = await p.run(['prefect', 'run', 'broken'])
    assert.equal(r.exitCode, 1, show(r))
    assert.match(r.stderr, /✖ broken_flow failed: ValueError: boom: the widget is cracked/)
    assertNoStackTrace(r)

    const { out, run } = await p.flow(['broken'], 1)
    assertRunShape(out)
    assert.equal(out.state, 'FAILED')
    assert.equal(out.result, null)
    assert.equal(out.error, 'ValueError: boom: the widget is cracked')
    assertNoStackTrace(run)

    // Prefect's record: the flow run failed; boom failed; slow, running beside it, completed
    // (it was not cancelled mid-run and marked Crashed); after, which needs boom, never ran.
    assert.equal((await p.flowRun(out.flow_run_id)).state_type, 'FAILED')
    const tasks = await p.settledTaskRuns(out.flow_run_id, 2)
    const states = Object.fromEntries(tasks.map((t) => [t.name.replace(/-[0-9a-f]+$/, ''), t.state_type]))
    assert.deepEqual(states, { 'broken.boom': 'FAILED', 'broken.slow': 'COMPLETED' })
  })

  test('retries: 1 — an operation that fails once completes on its second attempt, and Prefect records 2 runs of the task', T, async () => {
    const { out } = await p.flow(['flaky', '--param', 'key=retry-1'])
    assert.equal(out.state, 'COMPLETED')
    assert.deepEqual(out.result, { key: 'retry-1', attempt: 'second' })
    const [task] = await p.settledTaskRuns(out.flow_run_id, 1)
    assert.equal(task.task_key.startsWith('flaky__once_task'), true, task.task_key)
    assert.equal(task.state_type, 'COMPLETED')
    assert.equal(task.run_count, 2)
  })
})

describe('pulpo prefect run: concurrency and nesting, as Prefect recorded them', () => {
  type Stamp = { name: string; start: number; end: number; thread?: number }

  test('two sibling tasks with no path between them run at the same time; the task that takes both starts after both', T, async () => {
    const { out } = await p.flow(['tasks_par'])
    const { left, right, join } = out.result as { left: Stamp; right: Stamp; join: { start: number } }
    assertOverlap(left, right)
    assert.ok(join.start >= left.end && join.start >= right.end, `join started before its inputs ended: ${JSON.stringify(out.result)}`)
    // The plain function ran in a worker thread, beside the coroutine on the event loop.
    assert.notEqual(left.thread, right.thread)
  })

  test('two sibling subflows run at the same time (they meet), each a child flow run of the flow', T, async () => {
    const { out } = await p.flow(['subflows_par', '--param', 'key=concurrent-1'])
    assert.equal(out.state, 'COMPLETED', JSON.stringify(out))
    const { left, right, join } = out.result as { left: Stamp & { met: number }; right: Stamp & { met: number }; join: { start: number } }
    assertOverlap(left, right)
    // Each saw the other start while it was itself running.
    assert.ok(left.met >= right.start && right.met >= left.start)
    assert.ok(join.start >= left.end && join.start >= right.end)
    const children = await p.childFlowRuns(out.flow_run_id)
    assert.deepEqual((await Promise.all(children.map((c) => p.flowName(c)))).sort(), ['subflows_par.left', 'subflows_par.right'])
  })

  test('scraping_flow: the top-level flow run, a child flow run per subgroup linked to a task run of the parent, tasks in each', T, async () => {
    const { out } = await p.flow(['scraping_flow', '--param', 'keywords=nest'])
    const top = await p.flowRun(out.flow_run_id)
    assert.equal(await p.flowName(top), 'scraping_flow')
    assert.equal(top.parent_task_run_id, null)
    assert.equal(top.state_type, 'COMPLETED')

    // The parent's task runs: merge, and one task run standing for each subflow call.
    const parentTasks = await p.settledTaskRuns(top.id, 3)
    const children = await p.childFlowRuns(top.id)
    assert.equal(children.length, 2, JSON.stringify(children))
    const byFlow = new Map<string, ApiFlowRun>()
    for (const c of children) byFlow.set(await p.flowName(c), c)
    assert.deepEqual([...byFlow.keys()].sort(), ['scraping.linkedin', 'scraping.stepstone'])
    for (const [name, child] of byFlow) {
      const link = parentTasks.find((t) => t.id === child.parent_task_run_id)
      assert.ok(link, `${name}'s parent_task_run_id ${child.parent_task_run_id} is not a task run of scraping_flow's run`)
      assert.equal(link.flow_run_id, top.id)
      assert.equal(child.state_type, 'COMPLETED')
      assert.deepEqual(child.parameters, name === 'scraping.linkedin' ? { keywords: 'nest', pages: 1 } : { keywords: 'nest' })
      // The subflow's own task, in the child flow run, not in the parent's.
      const [task] = await p.settledTaskRuns(child.id, 1)
      assert.ok(task.name.startsWith(`${name}.fetch`), task.name)
    }
    assert.ok(parentTasks.some((t) => t.name.startsWith('scraping.merge')), `no merge task run in the parent: ${parentTasks.map((t) => t.name)}`)
    assert.ok(!parentTasks.some((t) => t.name.includes('.fetch')), 'a subflow task ran in the parent flow run')
  })

  test('three levels: deep_flow > deep.outer > deep.outer.inner > the task', T, async () => {
    const { out } = await p.flow(['deep'])
    assert.equal(out.result, 'hello, deep')
    const chain: string[] = [await p.flowName(await p.flowRun(out.flow_run_id))]
    let id = out.flow_run_id
    for (;;) {
      const kids = await p.childFlowRuns(id)
      if (!kids.length) break
      assert.equal(kids.length, 1)
      chain.push(await p.flowName(kids[0]))
      id = kids[0].id
    }
    assert.deepEqual(chain, ['deep_flow', 'deep.outer', 'deep.outer.inner'])
    const [leaf] = await p.settledTaskRuns(id, 1)
    assert.ok(leaf.name.startsWith('deep.outer.inner.leaf'), leaf.name)
  })

  test('a standalone is a flow run with its one task run', T, async () => {
    const { out } = await p.flow(['hello'])
    const fr = await p.flowRun(out.flow_run_id)
    assert.equal(await p.flowName(fr), 'hello_flow')
    assert.deepEqual(await p.childFlowRuns(fr.id), [])
    const tasks = await p.settledTaskRuns(fr.id, 1)
    assert.deepEqual(tasks.map((t) => [t.name.replace(/-[0-9a-f]+$/, ''), t.state_type]), [['hello', 'COMPLETED']])
    assert.match(out.flow_run_id, UUID)
  })
})

describe('pulpo prefect run: stopped while a task runs', () => {
  /**
   * Starts `prefect run tasks_par` whose two tasks sleep far longer than the test (one in a worker
   * thread, one on the event loop) in its own process group, as a terminal runs it; resolves once
   * Prefect says the run is running and its Python process is there.
   */
  const start = async () => {
    const runsOf = (type?: string) => p.get<ApiFlowRun[]>('/flow_runs/filter', { flows: { name: { any_: ['tasks_par_flow'] } }, ...(type ? { flow_runs: { state: { type: { any_: [type] } } } } : {}) })
    const before = new Set((await runsOf()).map((r) => r.id))
    const child = execa(BIN, ['prefect', 'run', 'tasks_par', '--param', 'seconds=600'], { cwd: p.dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...p.env }, extendEnv: false, reject: false, stdin: 'ignore', detached: true })
    const flowProcesses = () => p.leftovers().filter((l) => l.command.includes('orchestration/_run.py'))
    const running = await until(async () => {
      const runs = (await runsOf('RUNNING')).filter((r) => !before.has(r.id))
      if (runs.length !== 1 || flowProcesses().length !== 1) return false
      // Both tasks under way: the flow engine is past its start-up, when a stop is its to record.
      const tasks = await p.taskRuns(runs[0].id)
      return tasks.length === 2 && tasks.every((t) => t.state_type === 'RUNNING') && runs[0]
    }, 'the tasks_par_flow run and both its tasks are running, in a process of its own')
    return { child, running, flowProcesses }
  }

  /** The flow's process is gone, and Prefect recorded the run as crashed (not left running). */
  const assertEnded = async (running: ApiFlowRun, flowProcesses: () => unknown[]) => {
    const left = await until(() => (flowProcesses().length ? false : 'gone'), "the flow's Python process ends", 30_000).catch(() => flowProcesses())
    assert.equal(left, 'gone', `the flow's process is still there: ${JSON.stringify(left)}`)
    const final = await until(async () => {
      const run = await p.flowRun(running.id)
      return run.state_type !== 'RUNNING' && run
    }, 'Prefect records the stopped flow run as ended', 30_000)
    assert.equal(final.state_type, 'CRASHED')
  }

  test('Ctrl-C: pulpo says interrupted and exits 130 at once, not when the sleeping task returns', T, async () => {
    const { child, running, flowProcesses } = await start()
    process.kill(-child.pid!, 'SIGINT')
    const r = await child
    assert.equal(r.exitCode, 130, show({ exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) }))
    assert.match(String(r.stderr), /✖ tasks_par_flow was interrupted/)
    // Neither pulpo's stack nor Python's: a stop is not a crash of either.
    assertNoStackTrace({ exitCode: 130, stdout: String(r.stdout), stderr: String(r.stderr) })
    assert.doesNotMatch(String(r.stderr), /Traceback/)
    await assertEnded(running, flowProcesses)
  })

  test("SIGKILL of pulpo (no handler runs): the flow's Python process goes with it", T, async () => {
    const { child, running, flowProcesses } = await start()
    child.kill('SIGKILL')
    await child
    await assertEnded(running, flowProcesses)
  })
})
