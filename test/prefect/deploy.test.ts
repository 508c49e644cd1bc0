/**
 * `pulpo prefect deploy` and `pulpo prefect run FLOW --deployment` with the BUILT binary, through
 * a real project Prefect server: `pulpo up` starts the fixture's services of kind: prefect (the
 * server, on a free port) and kind: prefect-serve (the runner that registers every compiled flow
 * as a deployment and executes their runs). What was registered and what ran is checked through
 * Prefect's REST API.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { assertNoStackTrace, assertRunShape, assertVenv, ensureBinary, PrefectProject, show, until, UUID } from './helpers.js'

let p: PrefectProject

interface ApiDeployment {
  id: string
  name: string
  flow_id: string
}

before(async () => {
  assertVenv()
  await ensureBinary()
  p = await PrefectProject.copy('pipeline')
  const r = await p.up()
  assert.match(r.stderr + r.stdout, /flows: ready/)
}, { timeout: 300_000 })

after(async () => {
  await p?.cleanup()
}, { timeout: 120_000 })

const T = { timeout: 180_000 }

/** Every deployment on the server, as `flow name/deployment name` → id. */
async function deployments(): Promise<Map<string, string>> {
  const all = await p.get<ApiDeployment[]>('/deployments/filter', {})
  const out = new Map<string, string>()
  for (const d of all) out.set(`${(await p.get<{ name: string }>(`/flows/${d.flow_id}`)).name}/${d.name}`, d.id)
  return out
}

const registry = () => JSON.parse(readFileSync(p.path('run_cache/orchestration/registry.json'), 'utf8')) as { flows: { name: string }[] }

describe('pulpo prefect deploy', () => {
  test('the prefect-serve runner registered a deployment of every compiled flow when it started', T, async () => {
    const names = registry().flows.map((f) => `${f.name}/${f.name}`).sort()
    assert.ok(names.length > 10)
    const found = await until(async () => {
      const d = await deployments()
      return names.every((n) => d.has(n)) && d
    }, 'every flow has a deployment')
    assert.deepEqual([...found.keys()].sort(), names)
  })

  test('deploy FLOW... registers those flows (by any of their names) and reports the ids the server has', T, async () => {
    const r = await p.run(['prefect', 'deploy', 'hello', 'scraping.stepstone', 'kinds', '--json'])
    assert.equal(r.exitCode, 0, show(r))
    const out = JSON.parse(r.stdout) as { api_url: string; runner: string; deployed: { flow: string; deployment: string; id: string }[] }
    assert.equal(out.api_url, p.api)
    assert.equal(out.runner, 'flows')
    assert.deepEqual(out.deployed.map((d) => [d.flow, d.deployment]), [
      ['hello_flow', 'hello_flow/hello_flow'],
      ['scraping.stepstone', 'scraping.stepstone/scraping.stepstone'],
      ['kinds_flow', 'kinds_flow/kinds_flow'],
    ])
    const server = await deployments()
    for (const d of out.deployed) {
      assert.match(d.id, UUID)
      assert.equal(server.get(d.deployment), d.id, `the server's ${d.deployment}`)
      const byName = await p.get<ApiDeployment>(`/deployments/name/${d.deployment}`)
      assert.equal(byName.id, d.id)
    }
    // Applied again, a deployment keeps its id (it is updated, not duplicated).
    const again = JSON.parse((await p.run(['prefect', 'deploy', 'hello', '--json'])).stdout)
    assert.equal(again.deployed[0].id, out.deployed[0].id)
    assert.equal((await deployments()).size, registry().flows.length)
  })

  test('deploy with no names deploys every flow; the human output lists them', T, async () => {
    const r = await p.run(['prefect', 'deploy'])
    assert.equal(r.exitCode, 0, show(r))
    for (const f of registry().flows) assert.match(r.stdout, new RegExp(`✔ ${f.name.replace(/\./g, '\\.')}/${f.name.replace(/\./g, '\\.')} [0-9a-f-]{36}`))
    assert.doesNotMatch(r.stderr, /no service of kind: prefect-serve/)
    const unknown = await p.run(['prefect', 'deploy', 'hello', 'nope'])
    assert.equal(unknown.exitCode, 2, show(unknown))
    assert.match(unknown.stderr, /no flow 'nope'/)
    assertNoStackTrace(unknown)
  })
})

describe('pulpo prefect run --deployment', () => {
  test("runs through the server: the flow run belongs to the deployment and the runner's process executed it", T, async () => {
    const human = await p.run(['prefect', 'run', 'hello', '--deployment', '--param', 'name=served'])
    assert.equal(human.exitCode, 0, show(human))
    assert.match(human.stderr, /running hello_flow \(its deployment\) on the project's Prefect server/)
    assert.equal(human.stdout.trim(), '"hello, served"')

    const { out } = await p.flow(['whoami', '--deployment'])
    assertRunShape(out)
    assert.equal(out.state, 'COMPLETED')
    // PULPO_SERVICE is set in the runner's environment (the service `flows`), not in pulpo's own.
    assert.equal((out.result as { service: string }).service, 'flows')
    const fr = await p.flowRun(out.flow_run_id)
    assert.equal(fr.deployment_id, (await p.get<ApiDeployment>('/deployments/name/whoami_flow/whoami_flow')).id)
    assert.equal(fr.state_type, 'COMPLETED')
    // Without --deployment the same flow runs in pulpo's Python process instead.
    const direct = await p.flow(['whoami'])
    assert.equal((direct.out.result as { service: string | null }).service, null)
    assert.equal((await p.flowRun(direct.out.flow_run_id)).deployment_id, null)
  })

  test('parameters through a deployment keep their types and arrive verbatim', T, async () => {
    const text = `'; rm -rf / # """ \${HOME}`
    const { out } = await p.flow(['kinds', '--deployment', '--param', `text=${text}`, '--param', 'count=2', '--param', 'flag=yes', '--params', '{"tags": [1, "b"], "ratio": 0.25}'])
    const r = out.result as Record<string, { value: unknown; type: string }>
    assert.deepEqual([r.text, r.count, r.flag, r.tags, r.ratio], [
      { value: text, type: 'str' },
      { value: 2, type: 'int' },
      { value: true, type: 'bool' },
      { value: [1, 'b'], type: 'list' },
      { value: 0.25, type: 'float' },
    ])
    assert.deepEqual((await p.flowRun(out.flow_run_id)).parameters, { text, count: 2, flag: true, tags: [1, 'b'], ratio: 0.25 })
  })

  test('a deployment run of a flow with subflows: nested flow runs under the deployment run', T, async () => {
    const { out } = await p.flow(['scraping', '--deployment', '--param', 'keywords=served', '--param', 'pages=2'])
    assert.equal(out.state, 'COMPLETED')
    assert.equal((out.result as unknown[]).length, 3)
    const children = await until(async () => {
      const c = await p.childFlowRuns(out.flow_run_id)
      return c.length === 2 && c
    }, 'the deployment run has two child flow runs')
    assert.deepEqual((await Promise.all(children.map((c) => p.flowName(c)))).sort(), ['scraping.linkedin', 'scraping.stepstone'])
  })

  test("a failing operation in a deployment run: exit 1 with the operation's message", T, async () => {
    const { out, run } = await p.flow(['broken', '--deployment'], 1)
    assertRunShape(out)
    assert.equal(out.state, 'FAILED')
    assert.equal(out.result, null)
    assert.match(out.error ?? '', /boom: the widget is cracked/)
    assertNoStackTrace(run)
    const human = await p.run(['prefect', 'run', 'broken', '--deployment'])
    assert.equal(human.exitCode, 1, show(human))
    assert.match(human.stderr, /✖ broken_flow failed: .*boom: the widget is cracked/)
    assertNoStackTrace(human)
  })
})
